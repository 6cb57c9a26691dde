package registry

import (
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// op sets the compact JSON value val at a key path inside an entry.
type op struct {
	path []string
	val  []byte
}

type changeKind int

const (
	changeSet changeKind = iota
	changeAdd
	changeRemove
)

// change is one staged modification, replayed on the layers read under the
// save lock so that only this process's changes are applied.
type change struct {
	kind changeKind
	name string
	ops  []op      // changeSet
	pre  []precond // changeSet: all must hold, else the change is dropped
	rec  []byte    // changeAdd: the record in the reference layout at array depth 1
}

// Edit stages changes to one entry inside Registry.Update.
type Edit struct {
	name    string
	cur     *record
	work    *record
	ops     []op
	curFile string
	single  bool
	pre     []precond // preconditions of the typed conditional edits
	dropped bool      // a precondition failed: the Update stages nothing
}

// Entry returns the entry as it stands with the edits made so far.
func (ed *Edit) Entry() *Entry { return newEntry(ed.name, ed.cur, ed.work) }

// Set sets the JSON encoding of value at a key path inside the entry, e.g.
// Set(true, "version_lock", "locked") or Set(obj, "probes", "vision").
// Missing intermediate objects are created; keys not touched keep their
// bytes and order; setting a value equal to the current merged one changes
// nothing. Values are encoded as encoding/json would (structs by their json
// tags, maps with sorted keys, json.RawMessage as given) but spelled as the
// reference writes them: floats in Python's repr (12.0, 1e-05), strings
// with non-ASCII and <>& kept literally.
//
// Errors: a *CuratedFieldError (wrapping ErrCuratedField) when path[0] is a
// curated-owned key and the entry exists in the curated layer; an error
// wrapping ErrInvalidEdit for an empty path, a change of "name", or a value
// that cannot be encoded (then also wrapping the encoder's error, e.g. a
// MarshalJSON method's).
func (ed *Edit) Set(value any, path ...string) error {
	if err := checkPath(ed.name, path); err != nil {
		return err
	}
	if ed.cur != nil && !ed.single && !runtimeOwned(path[0]) {
		return &CuratedFieldError{Entry: ed.name, Field: path[0], File: ed.curFile}
	}
	val, err := encodeValue(value)
	if err != nil {
		return fmt.Errorf("entry %q: setting %s: %w", ed.name, strings.Join(path, "."), err)
	}
	o := op{path: append([]string(nil), path...), val: val}
	work, changed, err := applyOps(ed.name, ed.cur, ed.work, []op{o})
	if err != nil {
		return err
	}
	if changed {
		ed.work = work
		ed.ops = append(ed.ops, o)
	}
	return nil
}

// encodeValue encodes a Go value as compact JSON in the reference's
// spelling; an error wraps ErrInvalidEdit.
func encodeValue(v any) ([]byte, error) {
	b, err := doc.Encode(v)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding %T: %w", ErrInvalidEdit, v, err)
	}
	return b, nil
}

func checkPath(name string, path []string) error {
	if len(path) == 0 {
		return fmt.Errorf("entry %q: %w: empty key path", name, ErrInvalidEdit)
	}
	if path[0] == keyName {
		return fmt.Errorf("entry %q: %w: the name cannot be changed", name, ErrInvalidEdit)
	}
	return nil
}

// The typed edits below are how tooling writes the fields it owns; the JSON
// keys are spelled in this package only.

// SetLocked sets version_lock.locked. Errors are those of Set.
func (ed *Edit) SetLocked(locked bool) error {
	return ed.Set(locked, keyVersionLock, "locked")
}

// SetLastVerified sets version_lock.last_verified to ts, an RFC 3339 time.
// Errors are those of Set.
func (ed *Edit) SetLastVerified(ts string) error {
	return ed.Set(ts, keyVersionLock, "last_verified")
}

// SetArtifacts stores a manifest as the entry's artifacts: its aggregate
// first, then its files (an object's other members are kept). Errors are
// those of Set.
func (ed *Edit) SetArtifacts(a Artifacts) error {
	files := a.Files
	if files == nil {
		files = []ArtifactFile{}
	}
	if err := ed.Set(a.AggregateSHA256, keyArtifacts, "aggregate_sha256"); err != nil {
		return err
	}
	return ed.Set(files, keyArtifacts, "files")
}

// SetExpectedFiles stores the manifest an expected hash was pinned from at
// version_lock.expected_files, so a later drift report names what changed
// since the pin even after unlocked verifies replaced artifacts.files. It
// goes with every edit that sets the expected hash. Errors are those of Set.
func (ed *Edit) SetExpectedFiles(files []ArtifactFile) error {
	if files == nil {
		files = []ArtifactFile{}
	}
	return ed.Set(files, keyVersionLock, "expected_files")
}

// VisionProbe is the record a vision probe leaves at probes.vision.
type VisionProbe struct {
	VisionOK     bool   `json:"vision_ok"`
	Timestamp    string `json:"timestamp"`
	ProbeVersion string `json:"probe_version"`
	LatencyMS    int64  `json:"latency_ms"`
	Notes        string `json:"notes"`
}

// SetVisionProbe stores p at probes.vision. Errors are those of Set.
func (ed *Edit) SetVisionProbe(p VisionProbe) error {
	return ed.Set(p, keyProbes, "vision")
}

// applyOps applies ops to the discovered record dis of entry name (nil when
// it has none; cur is its curated record or nil) and returns the new
// discovered record and whether anything changed.
func applyOps(name string, cur, dis *record, ops []op) (*record, bool, error) {
	work := dis
	changed := false
	for _, o := range ops {
		ent := newEntry(name, cur, work)
		if v := ent.get(o.path...); v.Kind() != doc.Missing && v.Equal(o.val) {
			continue
		}
		raw := []byte(nil)
		if work == nil {
			raw = overlay(cur)
		} else {
			raw = work.Bytes()
		}
		if cur != nil && len(o.path) > 1 {
			// A runtime-owned object the discovered record lacks starts
			// from its merged (curated) value, so the edit does not hide
			// the rest of it.
			if k := doc.Value(raw).Get(o.path[0]).Kind(); k == doc.Missing || k == doc.Null {
				if mv := ent.get(o.path[0]); mv.Kind() == doc.Object {
					raw = doc.Set(raw, o.path[:1], mv)
				}
			}
		}
		raw = doc.Set(raw, o.path, o.val)
		r, err := parseRecord(raw)
		if err != nil {
			return nil, false, fmt.Errorf("entry %q: editing %s: %w", name, strings.Join(o.path, "."), err)
		}
		work = r
		changed = true
	}
	return work, changed, nil
}

// overlay returns a sparse discovered record for a curated entry: only its
// name.
func overlay(cur *record) []byte {
	return doc.Set([]byte("{}"), []string{keyName}, cur.Get(keyName))
}

// applyChanges replays changes on the discovered layer dis (cur is the
// curated layer, nil in single-file mode) and returns the changed layer.
// With strict unset, changes that no longer apply are skipped instead of
// failing.
//
// A change whose preconditions no longer hold is dropped (not an error) and
// listed in kept.
func applyChanges(cur, dis *layer, changes []change, curFile string, strict bool) (nd *layer, kept []KeptEdit, err error) {
	if len(changes) == 0 {
		return dis, nil, nil
	}
	nd = dis.clone()
	for _, ch := range changes {
		crec, _ := cur.lookup(ch.name)
		drec, di := nd.lookup(ch.name)
		err = nil
		switch ch.kind {
		case changeSet:
			if crec == nil && drec == nil {
				err = fmt.Errorf("entry %q: %w (removed by someone else before this save)", ch.name, ErrNotFound)
				break
			}
			for _, o := range ch.ops {
				if crec != nil && cur != nil && !runtimeOwned(o.path[0]) {
					err = &CuratedFieldError{Entry: ch.name, Field: o.path[0], File: curFile}
				}
			}
			if err != nil {
				break
			}
			if p, failed := failedPrecond(ch.name, crec, drec, ch.pre); failed {
				kept = append(kept, keptEdit(ch.name, p))
				break
			}
			var nr *record
			var changed bool
			nr, changed, err = applyOps(ch.name, crec, drec, ch.ops)
			if err == nil && changed {
				if di >= 0 {
					nd.recs[di] = nr
				} else {
					nd.recs = append(nd.recs, nr)
					nd.index[ch.name] = len(nd.recs) - 1
				}
			}
		case changeAdd:
			if crec != nil || drec != nil {
				// Adding is "set only if absent": an entry of that name
				// stored meanwhile is kept.
				kept = append(kept, KeptEdit{Entry: ch.name})
				break
			}
			var nr *record
			if nr, err = parseRecord(ch.rec); err == nil {
				nd.recs = append(nd.recs, nr)
				nd.index[ch.name] = len(nd.recs) - 1
			}
		case changeRemove:
			if crec != nil && cur != nil {
				err = &CuratedEntryError{Entry: ch.name, File: curFile}
				break
			}
			if drec == nil {
				err = fmt.Errorf("entry %q: %w", ch.name, ErrNotFound)
				break
			}
			for i, r := range nd.recs {
				if r != nil && r.named && r.name == ch.name {
					nd.recs[i] = nil
				}
			}
			delete(nd.index, ch.name)
		}
		if err != nil && strict {
			return nil, nil, err
		}
	}
	return nd, kept, nil
}
