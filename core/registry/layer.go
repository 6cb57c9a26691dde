package registry

import (
	"fmt"
	"slices"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// layer is one registry file: its bytes, its records and a name index.
type layer struct {
	file string
	arr  doc.Array // the zero Array when the file does not exist
	st   stamp

	// recs[i] for i < arr.Len() stands for the file's i-th element; nil
	// marks a removed record. Records past arr.Len() are new.
	recs  []*record
	index map[string]int // name → index of the record that wins (the last)
	dups  map[string]int // name → count, for names appearing more than once
}

// parseLayer indexes data as the contents of file.
func parseLayer(file string, data []byte, st stamp) (*layer, error) {
	var recs []*record
	arr, serr := doc.ParseArray(data, func(e doc.Record) { recs = append(recs, newRecord(e)) })
	if serr != nil {
		return nil, &ParseError{File: file, Line: serr.Line, Column: serr.Col, Err: fmt.Errorf("%w: %s", ErrSyntax, serr.Msg)}
	}
	l := &layer{file: file, arr: arr, st: st, recs: recs}
	l.reindex()
	return l, nil
}

func (l *layer) reindex() {
	l.index = make(map[string]int, len(l.recs))
	l.dups = nil
	for i, r := range l.recs {
		if r == nil || !r.named {
			continue
		}
		if _, ok := l.index[r.name]; ok {
			if l.dups == nil {
				l.dups = map[string]int{}
			}
			if l.dups[r.name] == 0 {
				l.dups[r.name] = 1
			}
			l.dups[r.name]++
		}
		l.index[r.name] = i
	}
}

// lookup returns the winning record for name.
func (l *layer) lookup(name string) (*record, int) {
	if l == nil {
		return nil, -1
	}
	if i, ok := l.index[name]; ok {
		return l.recs[i], i
	}
	return nil, -1
}

// dupNames lists duplicated names, sorted.
func (l *layer) dupNames() []string {
	out := make([]string, 0, len(l.dups))
	for n := range l.dups {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// unnamed counts elements that are not objects with a string name.
func (l *layer) unnamed() int {
	n := 0
	for _, r := range l.recs {
		if r != nil && !r.named {
			n++
		}
	}
	return n
}

// clone copies the record list and index so changes can be applied without
// touching l.
func (l *layer) clone() *layer {
	c := *l
	c.recs = slices.Clone(l.recs)
	c.index = make(map[string]int, len(l.index))
	for k, v := range l.index {
		c.index[k] = v
	}
	return &c
}

// data returns the file's bytes as read; nil when it does not exist.
func (l *layer) data() []byte { return l.arr.Bytes() }

// render returns the file contents for the layer's records: the original
// bytes with changed records spliced in, removed ones cut out and new ones
// appended, and a new layer whose records point into those bytes.
func (l *layer) render() ([]byte, *layer) {
	in := make([]*doc.Record, len(l.recs))
	for i, r := range l.recs {
		if r != nil {
			in[i] = &r.Record
		}
	}
	nl := &layer{file: l.file, st: l.st, recs: make([]*record, 0, len(l.recs))}
	out, arr := l.arr.Write(in, func(i int, w doc.Record) {
		c := *l.recs[i]
		c.Record = w
		nl.recs = append(nl.recs, &c)
	})
	nl.arr = arr
	nl.reindex()
	return out, nl
}
