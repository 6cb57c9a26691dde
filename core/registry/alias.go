package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// Aliases returns model_aliases: the other names the model answers to
// (trimmed; empty ones and the entry's own name left out), in stored order,
// never nil.
func (e *Entry) Aliases() []string {
	out := []string{}
	for _, a := range e.get(keyModelAliases).Strs() {
		if a = strings.TrimSpace(a); a != "" && a != e.name && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// AliasError reports a name that no entry has but that several entries
// claim as an alias. It wraps ErrAmbiguousAlias.
type AliasError struct {
	// Alias is the name asked for.
	Alias string
	// Entries are the entries claiming it, sorted.
	Entries []string
}

// Error names the alias and every entry claiming it.
func (e *AliasError) Error() string {
	return fmt.Sprintf("%v: no entry is named %q and the model_aliases of %s list it; use an entry's own name",
		ErrAmbiguousAlias, e.Alias, quoteAll(e.Entries))
}

// Unwrap returns ErrAmbiguousAlias.
func (e *AliasError) Unwrap() error { return ErrAmbiguousAlias }

// aliasIndex maps each alias to the entries claiming it (sorted by name),
// built on first use.
func (v *view) aliasIndex() map[string][]string {
	if v.aliases == nil {
		v.aliases = aliasIndex(v.entries)
	}
	return v.aliases
}

// aliasIndex maps each alias of entries (sorted by name) to its claimers.
func aliasIndex(entries []*Entry) map[string][]string {
	idx := map[string][]string{}
	for _, e := range entries {
		for _, a := range e.Aliases() {
			idx[a] = append(idx[a], e.name)
		}
	}
	return idx
}

// aliasProblems reports, for validation, aliases that make lookups fail or
// mislead: one claimed by several entries, and one equal to another entry's
// name. layers are the validated layers, curated first; each problem sits
// at the model_aliases member that the merged entry takes its value from.
func aliasProblems(layers ...*vlayer) []Problem {
	ls := make([]*layer, len(layers))
	for i, vl := range layers {
		ls[i] = vl.l
		if ls[i] == nil {
			ls[i] = &layer{file: vl.file}
			ls[i].reindex()
		}
	}
	var v *view
	if len(ls) == 1 {
		v = buildView(nil, ls[0])
	} else {
		v = buildView(ls[0], ls[1])
	}
	idx := v.aliasIndex()
	var ps []Problem
	for _, e := range v.entries {
		for _, a := range e.Aliases() {
			var msg string
			if _, ok := v.byName[a]; ok {
				msg = fmt.Sprintf("alias %q is the name of another entry, which wins every lookup of it", a)
			} else if owners := idx[a]; len(owners) > 1 {
				others := slices.DeleteFunc(slices.Clone(owners), func(n string) bool { return n == e.name })
				msg = fmt.Sprintf("alias %q is also listed by %s; looking it up is an error", a, quoteAll(others))
			} else {
				continue
			}
			ps = append(ps, aliasSite(layers, e.name, msg))
		}
	}
	return ps
}

// aliasSite places a problem of entry name at its model_aliases member, in
// the first layer (curated first) where it is set, else at the record.
func aliasSite(layers []*vlayer, name, msg string) Problem {
	var at *vlayer
	var rec *record
	for _, vl := range layers {
		if vl.l == nil {
			continue
		}
		r, _ := vl.l.lookup(name)
		if r == nil {
			continue
		}
		if at == nil {
			at, rec = vl, r
		}
		if k := r.Get(keyModelAliases).Kind(); k != doc.Missing && k != doc.Null {
			at, rec = vl, r
			break
		}
	}
	fi := -1
	for i := range rec.Len() {
		if k, _ := rec.At(i); k == keyModelAliases {
			fi = i
			break
		}
	}
	return at.at(rec, fi, "%s", msg)
}

// quoteAll joins names as "a", "b" and "c".
func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) <= 1 {
		return strings.Join(q, "")
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}
