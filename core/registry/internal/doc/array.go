package doc

import (
	"io"
	"math"
)

// span is an element's byte range in its file (files are below 2 GiB, as
// ParseArray checks).
type span struct{ start, end int32 }

// Array is a top-level array file as read: its bytes and where each of its
// elements lies, so that it can be written again with untouched bytes
// copied. The zero Array is a file that does not exist.
type Array struct {
	data  []byte
	spans spanList
}

// ParseArray validates data as a JSON array and calls fn for each of its
// elements in order. Python's NaN, Infinity and -Infinity are accepted.
func ParseArray(data []byte, fn func(Record)) (Array, *SyntaxError) {
	if len(data) > math.MaxInt32 {
		return Array{}, &SyntaxError{Off: 0, Line: 1, Col: 1, Msg: "file larger than 2 GiB"}
	}
	a := Array{data: data}
	serr := scanArray(data, func(r Record) {
		a.spans.add(span{int32(r.off), int32(r.off + len(r.raw))})
		fn(r)
	})
	if serr != nil {
		serr.Line, serr.Col = lineCol(data, serr.Off)
		return Array{}, serr
	}
	return a, nil
}

// Bytes returns the file's bytes as read (shared; do not modify); nil for
// the zero Array.
func (a Array) Bytes() []byte { return a.data }

// Len returns the number of elements read.
func (a Array) Len() int { return a.spans.len() }

// Write returns the file's bytes with its elements replaced by recs:
// recs[i] for i < Len() stands for the i-th element as read (nil removes
// it; a record keeps its own bytes, the element read there or a
// replacement), and records past Len() are appended. The bytes before,
// between and after the elements are copied as they are; a file with no
// element left is written afresh in the reference layout. It returns the
// new bytes and Array, and calls kept for every record written, in order,
// with its index in recs and the record as it lies in the new bytes.
func (a Array) Write(recs []*Record, kept func(i int, r Record)) ([]byte, Array) {
	var out []byte
	n := a.spans.len()
	idx := make([]int, 0, len(recs))
	var spans spanList
	emit := func(r *Record) {
		spans.add(span{int32(len(out)), int32(len(out) + len(r.raw))})
		out = append(out, r.raw...)
	}
	prev := -1
	if n > 0 {
		out = make([]byte, 0, len(a.data)+4096)
		for i := range n {
			r := recs[i]
			if r == nil {
				continue
			}
			if prev < 0 {
				out = append(out, a.data[:a.spans.at(0).start]...)
			} else {
				out = append(out, a.data[a.spans.at(prev).end:a.spans.at(prev+1).start]...)
			}
			emit(r)
			idx = append(idx, i)
			prev = i
		}
	}
	extra := recs[n:]
	if prev < 0 {
		out = out[:0]
		k := 0
		for j, r := range extra {
			if r == nil {
				continue
			}
			if k == 0 {
				out = append(out, "[\n  "...)
			} else {
				out = append(out, ",\n  "...)
			}
			k++
			emit(r)
			idx = append(idx, n+j)
		}
		if k == 0 {
			out = append(out, "[]\n"...)
		} else {
			out = append(out, "\n]\n"...)
		}
	} else {
		for j, r := range extra {
			if r == nil {
				continue
			}
			out = append(out, ",\n  "...)
			emit(r)
			idx = append(idx, n+j)
		}
		out = append(out, a.data[a.spans.at(n-1).end:]...)
	}
	for k, i := range idx {
		r, sp := *recs[i], spans.at(k)
		r.raw = out[sp.start:sp.end:sp.end]
		r.off = int(sp.start)
		kept(i, r)
	}
	return out, Array{data: out, spans: spans}
}

// WriteArray writes a top-level array of n elements in the reference
// layout to w, element by element: elem appends element i, in the
// reference layout at array depth 1, to dst.
func WriteArray(w io.Writer, n int, elem func(dst []byte, i int) ([]byte, error)) error {
	if n == 0 {
		_, err := io.WriteString(w, "[]\n")
		return err
	}
	buf := make([]byte, 0, 64<<10)
	buf = append(buf, '[', '\n')
	for i := range n {
		buf = append(buf, ' ', ' ')
		var err error
		if buf, err = elem(buf, i); err != nil {
			return err
		}
		if i < n-1 {
			buf = append(buf, ',', '\n')
		} else {
			buf = append(buf, '\n', ']', '\n')
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
	}
	return nil
}
