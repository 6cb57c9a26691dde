package doc

import (
	"bytes"
	"fmt"
	"testing"
)

func TestSpanListAcrossChunks(t *testing.T) {
	var l spanList
	const n = 5000
	for i := range n {
		l.add(span{int32(i), int32(2 * i)})
	}
	if l.len() != n {
		t.Fatalf("len = %d, want %d", l.len(), n)
	}
	for i := range n {
		if s := l.at(i); s != (span{int32(i), int32(2 * i)}) {
			t.Fatalf("at(%d) = %v", i, s)
		}
	}
}

// A file of many elements is written back byte for byte, and one element
// replaced past the first chunks lands where it was.
func TestArrayWriteManyElements(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "  {\"name\": \"m%d\"}", i)
	}
	b.WriteString("\n]\n")
	var recs []*Record
	a, serr := ParseArray(b.Bytes(), func(r Record) { recs = append(recs, &r) })
	if serr != nil {
		t.Fatal(serr)
	}
	out, _ := a.Write(recs, func(int, Record) {})
	if !bytes.Equal(out, b.Bytes()) {
		t.Fatal("unchanged records were not written back byte for byte")
	}
	nr, err := ParseRecord([]byte(`{"name": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	recs[2500] = &nr
	out, _ = a.Write(recs, func(int, Record) {})
	want := bytes.Replace(b.Bytes(), []byte(`"m2500"`), []byte(`"x"`), 1)
	if !bytes.Equal(out, want) {
		t.Fatal("a replaced record did not land in its place")
	}
}
