package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// This file is the registry side of editing entries by hand through a tool
// (the CLI's add, set and rm): dotted key paths, values given as text, and
// the fields a person may not set that way.

// ErrRuntimeField: a person tried to set by hand a runtime-owned field,
// which only the tool's own operations write. *RuntimeFieldError wraps it.
var ErrRuntimeField = errors.New("field is written by the tool, not set by hand")

// RuntimeFieldError reports a hand edit of a runtime-owned field
// (artifacts, version_lock, probes, performance, the download state):
// those record what the tool measured or pinned, and setting them by hand
// would forge a lock or a probe. It wraps ErrRuntimeField.
type RuntimeFieldError struct {
	Entry string // the entry's name
	Field string // the top-level key
}

// Error names the entry, the field and what writes it.
func (e *RuntimeFieldError) Error() string {
	return fmt.Sprintf("entry %q: field %q is runtime-owned, written by %s; it cannot be set by hand", e.Entry, e.Field, runtimeWriter(e.Field))
}

// Unwrap returns ErrRuntimeField.
func (e *RuntimeFieldError) Unwrap() error { return ErrRuntimeField }

// runtimeWriter says what writes a runtime-owned field.
func runtimeWriter(key string) string {
	switch key {
	case keyArtifacts:
		return "verify and lock"
	case keyVersionLock:
		return "lock, unlock and verify"
	case keyProbes:
		return "probe-vision"
	case keyPerformance:
		return "the serving tools"
	}
	return "the model downloader"
}

// ParseKeyPath splits a dotted key path ("backend_config.port") into its
// keys. A key holding a dot cannot be named this way. Errors wrap
// ErrInvalidEdit for an empty path or an empty key.
func ParseKeyPath(key string) ([]string, error) {
	path := strings.Split(key, ".")
	for _, k := range path {
		if strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%w: key path %q has an empty key", ErrInvalidEdit, key)
		}
	}
	return path, nil
}

// ValueFromText reads the text a person gave for the value at a key path:
//
//   - text that is valid JSON (8001, true, null, ["a","b"], {"k":1},
//     "quoted") is that JSON value when it fits the key's documented type;
//   - otherwise the text is a string, when a string fits;
//   - otherwise, for a key that takes a list of strings (roles,
//     model_aliases, backend_alternatives, backend_config.extra_args), the
//     text split at commas, spaces around each item trimmed and empty items
//     dropped ("caption, description").
//
// Keys the field table does not describe (metadata's members, unknown
// fields) take any value: valid JSON as JSON, anything else as a string.
// So served_model_id=123 stores the string "123", backend_config.port=8001
// the number, and a string that is valid JSON is given quoted
// ('"null"'). The result is compact JSON. Errors wrap ErrInvalidEdit and
// say which type the key wants.
func ValueFromText(path []string, text string) (json.RawMessage, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("%w: empty key path", ErrInvalidEdit)
	}
	var cands [][]byte
	// doc.Valid first: Encode trims Unicode spaces (a no-break space, a
	// form feed) around raw JSON, which would make "12\u00a0" a number.
	if doc.Valid([]byte(text)) {
		if b, err := doc.Encode(json.RawMessage(text)); err == nil {
			cands = append(cands, b)
		}
	}
	quoted, _ := doc.Encode(text)
	cands = append(cands, quoted)
	items := []string{}
	for it := range strings.SplitSeq(text, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	list, err := doc.Encode(items)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEdit, err)
	}
	cands = append(cands, list)
	first := ""
	for _, c := range cands {
		msg := checkAt(path, c)
		if msg == "" {
			return json.RawMessage(c), nil
		}
		if first == "" {
			first = msg
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrInvalidEdit, first)
}

// checkAt checks value v set at path against the field table: the value is
// nested in objects along the path, so an object field's checker sees only
// that member. It returns what is wrong, or "".
func checkAt(path []string, v []byte) string {
	for i := len(path) - 1; i >= 1; i-- {
		v, _ = doc.Encode(map[string]any{path[i]: json.RawMessage(v)})
	}
	return checkField(path[0], v)
}

// SetByHand sets the value a person gave as text (see ValueFromText) at
// path, as a hand edit through a tool: besides Set's rules, a
// runtime-owned field is refused (the tool's own operations write those).
// Errors: a *RuntimeFieldError (ErrRuntimeField) for a runtime-owned
// field; a *CuratedFieldError (ErrCuratedField) for a curated-owned field
// of an entry in the curated layer; an error wrapping ErrInvalidEdit for a
// value that does not fit the key's type, a change of the name or an empty
// path.
func (ed *Edit) SetByHand(path []string, text string) error {
	if err := checkPath(ed.name, path); err != nil {
		return err
	}
	if runtimeOwned(path[0]) {
		return &RuntimeFieldError{Entry: ed.name, Field: path[0]}
	}
	if ed.cur != nil && !ed.single {
		return &CuratedFieldError{Entry: ed.name, Field: path[0], File: ed.curFile}
	}
	v, err := ValueFromText(path, text)
	if err != nil {
		return fmt.Errorf("entry %q: setting %s: %w", ed.name, strings.Join(path, "."), err)
	}
	return ed.Set(v, path...)
}

// CuratedEntryError reports a removal of an entry that the curated layer
// defines: people remove those by editing the curated file. It wraps
// ErrCuratedField.
type CuratedEntryError struct {
	Entry string // the entry's name
	File  string // the curated file
}

// Error names the entry and the curated file.
func (e *CuratedEntryError) Error() string {
	return fmt.Sprintf("entry %q is defined in the curated layer; remove it by editing %s", e.Entry, e.File)
}

// Unwrap returns ErrCuratedField.
func (e *CuratedEntryError) Unwrap() error { return ErrCuratedField }

// AddedRecord is the record a person adds through a tool (the CLI's add)
// to the discovered layer; field order is the reference's, as
// ImportedRecord's.
type AddedRecord struct {
	Name          string          `json:"name"`
	DisplayName   string          `json:"display_name"`
	Backend       string          `json:"backend"`
	BackendConfig ImportedConfig  `json:"backend_config"`
	Capabilities  map[string]bool `json:"capabilities,omitempty"`
	Metadata      AddedMeta       `json:"metadata"`
	ServedModelID string          `json:"served_model_id,omitempty"`
	Roles         []string        `json:"roles,omitempty"`
}

// AddedMeta is an added record's metadata.
type AddedMeta struct {
	RegistryLayer string `json:"registry_layer"`
}

// JSON returns the record as compact JSON in the reference's spelling
// (non-ASCII and <>& kept literally), the form Add takes.
func (r AddedRecord) JSON() (json.RawMessage, error) {
	b, err := doc.Encode(r)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding entry %q: %w", ErrInvalidEdit, r.Name, err)
	}
	return b, nil
}
