package artifact

import (
	"slices"
	"strings"
)

// Drift lists, by relative path and each sorted bytewise, how an actual set
// of files differs from an expected one.
type Drift struct {
	Changed []string `json:"changed"` // in both, with different hashes
	Missing []string `json:"missing"` // expected but absent
	Added   []string `json:"added"`   // present but not expected
}

// Diff compares an expected manifest with the files actually found. A path
// listed twice counts once, with its last hash. The result's slices are
// sorted and nil when empty.
func Diff(expected, actual []File) Drift {
	exp := make(map[string]string, len(expected))
	for _, f := range expected {
		exp[f.Path] = f.SHA256
	}
	act := make(map[string]string, len(actual))
	for _, f := range actual {
		act[f.Path] = f.SHA256
	}
	var d Drift
	for p, h := range exp {
		switch a, ok := act[p]; {
		case !ok:
			d.Missing = append(d.Missing, p)
		case a != h:
			d.Changed = append(d.Changed, p)
		}
	}
	for p := range act {
		if _, ok := exp[p]; !ok {
			d.Added = append(d.Added, p)
		}
	}
	slices.Sort(d.Changed)
	slices.Sort(d.Missing)
	slices.Sort(d.Added)
	return d
}

// Empty reports whether nothing drifted.
func (d Drift) Empty() bool {
	return len(d.Changed) == 0 && len(d.Missing) == 0 && len(d.Added) == 0
}

// String is a one-line summary such as
// "changed: weights.bin; missing: a.json; added: logs/x.log", or "" when
// nothing drifted. Long lists are elided after 20 names.
func (d Drift) String() string {
	var parts []string
	for _, c := range []struct {
		label string
		names []string
	}{{"changed", d.Changed}, {"missing", d.Missing}, {"added", d.Added}} {
		if len(c.names) > 0 {
			parts = append(parts, c.label+": "+listNames(c.names))
		}
	}
	return strings.Join(parts, "; ")
}
