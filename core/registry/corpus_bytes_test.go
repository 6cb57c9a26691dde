package registry

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// Every registry file the reference wrote (each *.json under
// testdata/imageworks-registry) is written back byte for byte: re-saved as
// read, with every record replaced by an in-memory copy of itself, saved
// again from the layer that save produced, and written whole record by
// record as the snapshot and the legacy split write a file.
func TestCorpusFilesResaveByteIdentical(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "imageworks-registry", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d corpus files, want the 4 the corpus README lists", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			l, err := parseLayer(f, data, stamp{})
			if err != nil {
				t.Fatal(err)
			}
			if out, _ := l.render(); !bytes.Equal(out, data) {
				t.Errorf("re-saved unchanged: %s", firstDiff(out, data))
			}

			// Every record replaced by a copy held alone in memory, as an
			// edit replaces one.
			c := l.clone()
			for i, r := range c.recs {
				cp, err := parseRecord(bytes.Clone(r.Bytes()))
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				c.recs[i] = cp
			}
			out, nl := c.render()
			if !bytes.Equal(out, data) {
				t.Errorf("re-saved with every record replaced by its copy: %s", firstDiff(out, data))
			}
			if again, _ := nl.render(); !bytes.Equal(again, data) {
				t.Errorf("saved again from the saved layer: %s", firstDiff(again, data))
			}

			// Whole, record by record (the snapshot's and the split's way).
			var buf bytes.Buffer
			if err := doc.WriteArray(&buf, len(l.recs), func(dst []byte, i int) ([]byte, error) {
				return doc.AppendRecord(dst, l.recs[i].Record), nil
			}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), data) {
				t.Errorf("written record by record: %s", firstDiff(buf.Bytes(), data))
			}
		})
	}
}

// firstDiff describes where got first differs from want.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	line, col := 1+bytes.Count(want[:i], []byte{'\n'}), i-bytes.LastIndexByte(want[:i], '\n')
	return fmt.Sprintf("first difference at line %d, column %d (got %d bytes, want %d)", line, col, len(got), len(want))
}
