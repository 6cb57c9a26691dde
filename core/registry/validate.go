package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// Problem is one finding of Validate: where it is and what is wrong.
type Problem struct {
	// File is the path of the registry file.
	File string `json:"file"`
	// Line is 1-based.
	Line int `json:"line"`
	// Column is 1-based, in characters.
	Column int `json:"column"`
	// Entry is the entry's name; "" when the problem is not inside a
	// named entry.
	Entry string `json:"entry"`
	// Message says what is wrong, without the position.
	Message string `json:"message"`
	// Severity is SeverityError for what breaks the registry or a lookup,
	// SeverityWarning for what is probably a typo but may be meant (an
	// unknown backend, capability key or role).
	Severity string `json:"severity"`
}

// Problem severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// String returns "file:line:col: entry: message" ("file:line:col: message"
// without an entry), with "warning: " before the message of a warning.
func (p Problem) String() string {
	msg := p.Message
	if p.Severity == SeverityWarning {
		msg = "warning: " + msg
	}
	if p.Entry == "" {
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", p.File, p.Line, p.Column, p.Entry, msg)
}

// ValidateOptions add checks of names to ValidateWith and
// ValidateFileWith; a nil list skips its check. Their findings are
// warnings, each with the known names close to the one found.
type ValidateOptions struct {
	// KnownBackends are the backend names an entry may have (the bundled
	// backends and the plugins installed); any other is a warning.
	KnownBackends []string
	// KnownRoles are the roles the tool knows; a role in "roles" or a key
	// of "role_priority" outside them (compared trimmed, case aside) is a
	// warning, once per entry and role.
	KnownRoles []string
}

// Validate is ValidateWith without the name checks of ValidateOptions.
func Validate(ctx context.Context, dir string) ([]Problem, error) {
	return ValidateWith(ctx, dir, ValidateOptions{})
}

// ValidateFile is ValidateFileWith without the name checks of
// ValidateOptions.
func ValidateFile(ctx context.Context, path string) ([]Problem, error) {
	return ValidateFileWith(ctx, path, ValidateOptions{})
}

// ValidateWith checks the layered registry in dir strictly: parse errors,
// elements that are not objects, missing or malformed names, entries
// without a backend, duplicate names within a layer, runtime-owned fields in
// the curated file, fields of the wrong type, and aliases (model_aliases)
// claimed by several entries or equal to another entry's name, as errors;
// capability keys that are neither canonical nor a synonym, and the names
// opts checks, as warnings (see Problem.Severity). It reads and never writes;
// a directory holding only a legacy model_registry.json is checked as a
// single file. Problems come back sorted by file, line and column; the error
// is for I/O failures (a FIFO or other non-regular file, a dangling link),
// ErrNoRegistry, and ErrInterruptedSplit when a legacy split did not finish.
func ValidateWith(ctx context.Context, dir string, opts ValidateOptions) ([]Problem, error) {
	r := &Registry{dir: dir}
	if st, err := statStamp(r.path(SplitMarkerFile)); err != nil {
		return nil, err
	} else if st.exists {
		return nil, fmt.Errorf("registry directory %s: %w: %s records a split of the legacy %s that did not finish; the layers may be incomplete: run a command that opens the registry (such as list) to finish it, then validate",
			dir, ErrInterruptedSplit, SplitMarkerFile, SnapshotFile)
	}
	var layers []*vlayer
	found := false
	for _, f := range []string{CuratedFile, DiscoveredFile} {
		vl, err := readVLayer(ctx, r.path(f))
		if err != nil {
			return nil, err
		}
		found = found || vl.exists
		layers = append(layers, vl)
	}
	if !found {
		legacy := r.path(SnapshotFile)
		if st, err := statStamp(legacy); err != nil {
			return nil, err
		} else if st.exists {
			return ValidateFileWith(ctx, legacy, opts)
		}
		return nil, fmt.Errorf("registry directory %s: %w", dir, ErrNoRegistry)
	}
	cur, dis := layers[0], layers[1]
	var ps []Problem
	for _, vl := range layers {
		ps = append(ps, vl.problems...)
		ps = append(ps, vl.dupProblems()...)
		for _, rec := range vl.recs() {
			ps = append(ps, vl.recordProblems(rec, vl == cur)...)
			ps = append(ps, vl.nameProblems(rec, opts, vl == dis && curatedBackend(cur, rec.name))...)
		}
	}
	// Every entry needs a backend from one of its layers.
	if cur.l != nil && dis.l != nil {
		for _, vl := range layers {
			other := dis
			if vl == dis {
				other = cur
			}
			for _, rec := range vl.recs() {
				if !rec.named || hasBackend(rec) {
					continue
				}
				if o, _ := other.l.lookup(rec.name); o != nil && hasBackend(o) {
					continue
				}
				if o, _ := other.l.lookup(rec.name); o != nil && vl == dis {
					continue // reported once, at the curated record
				}
				ps = append(ps, vl.at(rec, -1, "entry has no \"backend\""))
			}
		}
	}
	ps = append(ps, aliasProblems(cur, dis)...)
	sortProblems(ps)
	return ps, nil
}

// ValidateFileWith checks one registry file as single-file mode reads it:
// the checks of ValidateWith except layer ownership, every record needing
// a backend. The error is for I/O failures and a missing file
// (ErrNoRegistry).
func ValidateFileWith(ctx context.Context, path string, opts ValidateOptions) ([]Problem, error) {
	vl, err := readVLayer(ctx, path)
	if err != nil {
		return nil, err
	}
	if !vl.exists {
		return nil, fmt.Errorf("registry file %s: %w", path, ErrNoRegistry)
	}
	ps := append([]Problem(nil), vl.problems...)
	ps = append(ps, vl.dupProblems()...)
	for _, rec := range vl.recs() {
		ps = append(ps, vl.recordProblems(rec, false)...)
		ps = append(ps, vl.nameProblems(rec, opts, false)...)
		if rec.named && !hasBackend(rec) {
			ps = append(ps, vl.at(rec, -1, "entry has no \"backend\""))
		}
	}
	ps = append(ps, aliasProblems(vl)...)
	sortProblems(ps)
	return ps, nil
}

func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// vlayer is a layer read for validation.
type vlayer struct {
	file     string
	exists   bool
	l        *layer
	problems []Problem
}

func readVLayer(ctx context.Context, file string) (*vlayer, error) {
	vl := &vlayer{file: file}
	if st, err := statStamp(file); err != nil {
		return nil, err
	} else if !st.exists {
		return vl, nil
	}
	vl.exists = true
	l, err := readLayer(ctx, file)
	var pe *ParseError
	if errors.As(err, &pe) {
		vl.problems = append(vl.problems, Problem{File: file, Line: pe.Line, Column: pe.Column, Message: strings.TrimPrefix(pe.Err.Error(), ErrSyntax.Error()+": "), Severity: SeverityError})
		return vl, nil
	}
	if err != nil {
		return nil, err
	}
	vl.l = l
	return vl, nil
}

func (vl *vlayer) recs() []*record {
	if vl.l == nil {
		return nil
	}
	return vl.l.recs
}

// at builds a problem at a record (field index fi, or the record itself
// when fi < 0).
func (vl *vlayer) at(rec *record, fi int, format string, args ...any) Problem {
	line, col := rec.Position(vl.l.data(), fi)
	return Problem{File: vl.file, Line: line, Column: col, Entry: rec.name, Message: fmt.Sprintf(format, args...), Severity: SeverityError}
}

// warnAt is at for a warning.
func (vl *vlayer) warnAt(rec *record, fi int, format string, args ...any) Problem {
	p := vl.at(rec, fi, format, args...)
	p.Severity = SeverityWarning
	return p
}

func (vl *vlayer) dupProblems() []Problem {
	if vl.l == nil {
		return nil
	}
	var ps []Problem
	seen := map[string]int{}
	for _, rec := range vl.l.recs {
		if !rec.named {
			continue
		}
		seen[rec.name]++
		if n := seen[rec.name]; n > 1 {
			ps = append(ps, vl.at(rec, -1, "duplicate name (occurrence %d; the later record wins)", n))
		}
	}
	return ps
}

func hasBackend(rec *record) bool {
	return strings.TrimSpace(rec.Get(keyBackend).Str()) != ""
}

// recordProblems checks one element's shape and field types.
func (vl *vlayer) recordProblems(rec *record, curated bool) []Problem {
	if !rec.IsObject() {
		return []Problem{vl.at(rec, -1, "element is not a JSON object")}
	}
	var ps []Problem
	nv := rec.Get(keyName)
	switch {
	case nv.Kind() == doc.Missing:
		ps = append(ps, vl.at(rec, -1, "entry has no \"name\""))
	case nv.Kind() != doc.String:
		ps = append(ps, vl.at(rec, -1, "\"name\" must be a string"))
	case strings.TrimSpace(nv.Str()) == "":
		ps = append(ps, vl.at(rec, -1, "\"name\" is empty"))
	case strings.TrimSpace(nv.Str()) != nv.Str():
		ps = append(ps, vl.at(rec, -1, "\"name\" has surrounding spaces"))
	}
	for i := range rec.Len() {
		key, v := rec.At(i)
		if curated && runtimeOwned(key) {
			ps = append(ps, vl.at(rec, i, "runtime-owned field %q belongs in the discovered layer, not the curated file", key))
		}
		if msg := checkField(key, v); msg != "" {
			ps = append(ps, vl.at(rec, i, "%s", msg))
		}
	}
	return ps
}
