package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// stamp identifies a version of a file for cache invalidation: size,
// modification time, change time and inode, so that an edit restoring the
// modification time, or a file renamed into place with an old one, is
// still seen.
type stamp struct {
	exists bool
	safefile.Version
}

func stampOf(fi fs.FileInfo) stamp {
	return stamp{exists: true, Version: safefile.VersionOf(fi)}
}

// statStamp stats path; a missing file is a zero stamp, not an error, but a
// dangling symbolic link is (safefile.ErrDanglingLink): a layer that points
// nowhere is never taken for an empty one.
func statStamp(path string) (stamp, error) {
	fi, err := safefile.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stamp{}, nil
	}
	if err != nil {
		return stamp{}, fmt.Errorf("checking %s: %w", path, err)
	}
	return stampOf(fi), nil
}

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

// readLayer reads and parses one layer file; a missing file is an empty
// layer. Parse failures come back as *ParseError; a FIFO or other
// non-regular file (safefile.ErrNotRegular) and a dangling link
// (safefile.ErrDanglingLink) are errors naming the file, found without
// blocking.
func readLayer(ctx context.Context, file string) (*layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, fi, err := safefile.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		l := &layer{file: file}
		l.reindex()
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry file: %w", err)
	}
	return parseLayer(file, data, stampOf(fi))
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
