package registry

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// precondKind is what a precondition asks of a stored value.
type precondKind int

const (
	// preAbsent holds when the value is absent, null or "".
	preAbsent precondKind = iota + 1
	// preEquals holds when the value equals val.
	preEquals
)

// precond is a condition on the stored entry that an Update's changes
// depend on. It is checked when the edit is made and again at every replay
// (Save re-reads the files under the lock): when it no longer holds, the
// whole Update is dropped and the stored value kept.
type precond struct {
	kind precondKind
	path []string
	val  []byte // preEquals: the compact JSON value required
}

// holds reports whether p holds for the entry as it stands.
func (p precond) holds(e *Entry) bool {
	v := e.get(p.path...)
	switch p.kind {
	case preAbsent:
		return v.Kind() == doc.Missing || v.Kind() == doc.Null || v.Equal(doc.Value(`""`))
	case preEquals:
		return v.Kind() != doc.Missing && v.Equal(p.val)
	}
	return false
}

// failedPrecond returns the first precondition of pre that does not hold
// for the entry (cur and dis are its records; at least one is non-nil).
func failedPrecond(name string, cur, dis *record, pre []precond) (precond, bool) {
	if len(pre) == 0 {
		return precond{}, false
	}
	e := newEntry(name, cur, dis)
	for _, p := range pre {
		if !p.holds(e) {
			return p, true
		}
	}
	return precond{}, false
}

// Expected-hash key path, spelled here only: core edits it through the
// typed edits below.
func expectedHashPath() []string { return []string{keyVersionLock, "expected_aggregate_sha256"} }

// SetExpectedHashIfAbsent sets version_lock.expected_aggregate_sha256 to
// hash when the entry has none (absent, null or ""), as "an expected hash
// already stored is kept" requires, and makes that a precondition of the
// whole Update: when Save finds that an expected hash was stored meanwhile
// (by another process), none of this Update's changes is applied and
// SaveResult.Kept names the entry. It returns false, setting nothing, when
// the entry already has an expected hash; the Update then stages nothing.
// Errors are those of Set.
func (ed *Edit) SetExpectedHashIfAbsent(hash string) (bool, error) {
	return ed.setIf(precond{kind: preAbsent, path: expectedHashPath()}, hash)
}

// ReplaceExpectedHash sets version_lock.expected_aggregate_sha256 to hash
// only while the stored one is old, and makes that a precondition of the
// whole Update, checked again at Save (as SetExpectedHashIfAbsent does):
// an expected hash changed by someone else meanwhile is kept and reported
// in SaveResult.Kept. It returns false, setting nothing, when the entry's
// expected hash is not old now; the Update then stages nothing. Errors are
// those of Set.
func (ed *Edit) ReplaceExpectedHash(old, hash string) (bool, error) {
	val, err := encodeValue(old)
	if err != nil {
		return false, err
	}
	return ed.setIf(precond{kind: preEquals, path: expectedHashPath(), val: val}, hash)
}

// SetExpectedHash sets version_lock.expected_aggregate_sha256 to hash
// whatever is stored: the deliberate re-pin (`lock NAME --repin`) after a
// user replaced a model's files on purpose. Pass the expected hash the
// caller saw as seen ("" for none): it is a precondition of the whole
// Update, checked again at Save, so a hash another process stored
// meanwhile is kept and reported in SaveResult.Kept rather than replaced
// unseen. Errors are those of Set.
func (ed *Edit) SetExpectedHash(seen, hash string) (bool, error) {
	if seen == "" {
		return ed.SetExpectedHashIfAbsent(hash)
	}
	return ed.ReplaceExpectedHash(seen, hash)
}

// setIf sets value at p's path when p holds now, and records p for replay.
func (ed *Edit) setIf(p precond, value any) (bool, error) {
	if !p.holds(ed.Entry()) {
		ed.dropped = true
		return false, nil
	}
	if err := ed.Set(value, p.path...); err != nil {
		return false, err
	}
	ed.pre = append(ed.pre, p)
	return true, nil
}

// KeptEdit names an Update that a save dropped because one of its
// preconditions no longer held on disk: the stored value was kept.
type KeptEdit struct {
	// Entry is the entry's name.
	Entry string `json:"entry"`
	// Field is the dotted key path whose stored value was kept, e.g.
	// "version_lock.expected_aggregate_sha256"; "" when an Add was dropped
	// because an entry of that name was stored meanwhile (the stored entry
	// is kept whole).
	Field string `json:"field"`
}

// SaveResult says what a save did besides writing.
type SaveResult struct {
	// Kept lists, sorted by entry, the Updates dropped at save time
	// because a value they depended on had been changed on disk, and the
	// Adds dropped because the name had been stored meanwhile.
	Kept []KeptEdit `json:"kept,omitempty"`
}

// KeptFor reports whether an Update of entry was dropped and its stored
// value kept.
func (s SaveResult) KeptFor(entry string) bool {
	return slices.ContainsFunc(s.Kept, func(k KeptEdit) bool { return k.Entry == entry })
}

func keptEdit(name string, p precond) KeptEdit {
	return KeptEdit{Entry: name, Field: strings.Join(p.path, ".")}
}

// SaveWithResult is Save, also reporting the Updates whose preconditions
// (see SetExpectedHashIfAbsent) failed against what is on disk at save
// time: those were dropped, the stored values kept, and the rest saved.
// Errors are Save's.
func (r *Registry) SaveWithResult(ctx context.Context) (SaveResult, error) {
	return r.save(ctx)
}

func sortKept(ks []KeptEdit) []KeptEdit {
	slices.SortStableFunc(ks, func(a, b KeptEdit) int { return cmp.Compare(a.Entry, b.Entry) })
	return ks
}
