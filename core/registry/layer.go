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

// span is a record's byte range in its file.
type span struct{ start, end int }

// layer is one registry file: its bytes, its records and a name index.
type layer struct {
	file string
	data []byte // nil when the file does not exist
	st   stamp

	// recs[i] for i < len(orig) corresponds to the file's i-th element at
	// orig[i]; nil marks a removed record, and a replaced one has off -1.
	// Records past len(orig) are new.
	recs  []*record
	orig  []span
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
	recs, serr := scanRecords(data)
	if serr != nil {
		line, col := doc.LineCol(data, serr.Off)
		return nil, &ParseError{File: file, Line: line, Column: col, Err: fmt.Errorf("%w: %s", ErrSyntax, serr.Msg)}
	}
	l := &layer{file: file, data: data, st: st, recs: recs, orig: make([]span, len(recs))}
	for i, r := range recs {
		l.orig[i] = span{r.off, r.off + len(r.raw)}
	}
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

// render returns the file contents for the layer's records: the original
// bytes with changed records spliced in, removed ones cut out and new ones
// appended, and a new layer whose records point into those bytes.
func (l *layer) render() ([]byte, *layer) {
	var out []byte
	var pos []int
	var kept []*record
	emit := func(r *record) {
		pos = append(pos, len(out))
		kept = append(kept, r)
		out = append(out, r.raw...)
	}
	prev := -1
	if len(l.orig) > 0 {
		out = make([]byte, 0, len(l.data)+4096)
		for i := range l.orig {
			r := l.recs[i]
			if r == nil {
				continue
			}
			if prev < 0 {
				out = append(out, l.data[:l.orig[0].start]...)
			} else {
				out = append(out, l.data[l.orig[prev].end:l.orig[prev+1].start]...)
			}
			emit(r)
			prev = i
		}
	}
	extra := l.recs[len(l.orig):]
	if prev < 0 {
		out = out[:0]
		n := 0
		for _, r := range extra {
			if r == nil {
				continue
			}
			if n == 0 {
				out = append(out, "[\n  "...)
			} else {
				out = append(out, ",\n  "...)
			}
			n++
			emit(r)
		}
		if n == 0 {
			out = append(out, "[]\n"...)
		} else {
			out = append(out, "\n]\n"...)
		}
	} else {
		for _, r := range extra {
			if r == nil {
				continue
			}
			out = append(out, ",\n  "...)
			emit(r)
		}
		out = append(out, l.data[l.orig[len(l.orig)-1].end:]...)
	}
	nl := &layer{file: l.file, data: out, st: l.st, recs: make([]*record, len(kept)), orig: make([]span, len(kept))}
	for i, r := range kept {
		c := *r
		c.raw = out[pos[i] : pos[i]+len(r.raw) : pos[i]+len(r.raw)]
		c.off = pos[i]
		nl.recs[i] = &c
		nl.orig[i] = span{pos[i], pos[i] + len(r.raw)}
	}
	nl.reindex()
	return out, nl
}
