package doc

import (
	"bytes"
	"testing"
)

// Array.Write copies the bytes between elements, splices a replaced
// element, drops a removed one, appends new ones, and the records it hands
// back lie in the new bytes.
func TestArrayWrite(t *testing.T) {
	data := []byte("[ {\"a\": 1} ,\n  2,\t3 ]\n")
	var recs []*Record
	arr, serr := ParseArray(data, func(r Record) { recs = append(recs, &r) })
	if serr != nil {
		t.Fatal(serr)
	}
	repl, err := ParseRecord([]byte(`{"b": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	add, _ := ParseRecord([]byte(`{"c": 3}`))
	in := []*Record{recs[0], &repl, nil, &add}
	var got []int
	var written []Record
	out, next := arr.Write(in, func(i int, r Record) {
		got = append(got, i)
		written = append(written, r)
	})
	for k, r := range written {
		if r.off < 0 || !bytes.Equal(out[r.off:r.off+len(r.raw)], in[got[k]].raw) {
			t.Errorf("record %d is not where it says in the new bytes (off %d)", got[k], r.off)
		}
	}
	if want := "[ {\"a\": 1} ,\n  {\"b\": 2},\n  {\"c\": 3} ]\n"; string(out) != want {
		t.Errorf("Write = %q, want %q", out, want)
	}
	if len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 3 || next.Len() != 3 || !bytes.Equal(next.Bytes(), out) {
		t.Errorf("kept %v, next.Len %d", got, next.Len())
	}
	empty, _ := Array{}.Write([]*Record{nil, &add}, func(int, Record) {})
	if want := "[\n  {\"c\": 3}\n]\n"; string(empty) != want {
		t.Errorf("Write on no file = %q, want %q", empty, want)
	}
}
