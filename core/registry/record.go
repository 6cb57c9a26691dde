package registry

import (
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// field is one top-level member of a record.
type field = doc.Field

// record is one element of a layer's top-level array, kept as the bytes it
// was read with plus an index of its top-level members.
type record struct {
	raw    []byte
	off    int // offset of raw in the layer's data, -1 for a record built in memory
	fields []field
	name   string // trimmed value of "name"
	named  bool   // "name" is a string
	isObj  bool
	canon  bool // whitespace inside raw is the reference layout at array depth 1
}

// newRecord wraps a scanned element and notes its name.
func newRecord(e doc.Record) *record {
	r := &record{raw: e.Raw, off: e.Off, fields: e.Fields, isObj: e.IsObj, canon: e.Canon}
	if v, ok := r.val(keyName); ok && doc.IsString(v) {
		r.named = true
		r.name = strings.TrimSpace(doc.Unquote(v))
	}
	return r
}

// val returns the value of the last member named key.
func (r *record) val(key string) ([]byte, bool) {
	if r == nil {
		return nil, false
	}
	for i := len(r.fields) - 1; i >= 0; i-- {
		if r.fields[i].Key == key {
			f := r.fields[i]
			return r.raw[f.ValStart:f.ValEnd], true
		}
	}
	return nil, false
}

// scanRecords validates data as a JSON array and returns its elements.
func scanRecords(data []byte) ([]*record, *doc.SyntaxError) {
	var recs []*record
	serr := doc.ScanArray(data, func(e doc.Record) { recs = append(recs, newRecord(e)) })
	if serr != nil {
		return nil, serr
	}
	return recs, nil
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
