package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// record is one element of a layer's top-level array (doc.Record: the
// bytes it was read with and its members) with its entry name noted.
type record struct {
	doc.Record
	name  string // trimmed value of "name"
	named bool   // "name" is a string
}

// newRecord wraps a parsed element and notes its name.
func newRecord(e doc.Record) *record {
	r := &record{Record: e}
	if v := r.Get(keyName); v.Kind() == doc.String {
		r.named = true
		r.name = strings.TrimSpace(v.Str())
	}
	return r
}

// parseRecord parses a record held alone in memory (a new record given to
// Add, or one the package built). Errors wrap ErrInvalidEdit and say what
// is wrong.
func parseRecord(raw []byte) (*record, error) {
	e, err := doc.ParseRecord(raw)
	var serr *doc.SyntaxError
	switch {
	case err == nil:
	case errors.Is(err, doc.ErrNotObject):
		return nil, fmt.Errorf("%w: a record must be a JSON object", ErrInvalidEdit)
	case errors.As(err, &serr):
		return nil, fmt.Errorf("%w: record at offset %d: %s", ErrInvalidEdit, serr.Off, serr.Msg)
	default: // a *doc.TrailingDataError, ParseRecord's only other error
		return nil, fmt.Errorf("%w: data after the record", ErrInvalidEdit)
	}
	return newRecord(e), nil
}
