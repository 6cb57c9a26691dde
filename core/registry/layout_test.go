package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// scanRecords validates data as a JSON array and returns its elements, as
// parseLayer reads a layer (the tests' way to look at records without a
// file).
func scanRecords(data []byte) ([]*record, *doc.SyntaxError) {
	var recs []*record
	_, serr := doc.ParseArray(data, func(e doc.Record) { recs = append(recs, newRecord(e)) })
	if serr != nil {
		return nil, serr
	}
	return recs, nil
}

// The corpus files are in the reference layout: reformatting them changes
// nothing, and every record scans as canonical.
func TestCorpusLayoutIsReference(t *testing.T) {
	for _, f := range []string{CuratedFile, DiscoveredFile, SnapshotFile, "legacy-single-file.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "imageworks-registry", f))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(doc.Reformat(nil, data, 0)) + "\n"; got != string(data) {
			t.Errorf("doc.Reformat(%s) differs from the file", f)
		}
		recs, serr := scanRecords(data)
		if serr != nil {
			t.Fatalf("scanRecords(%s) = %v", f, serr)
		}
		for _, r := range recs {
			if !r.Canonical() {
				t.Errorf("%s: record %q not recognised as reference layout", f, r.name)
			}
		}
	}
	recs, _ := scanRecords([]byte(`[{"name": "x"}, {"name":"y"}, {
    "name": "z",
    "a": [ ]
  }, {
    "name": "w",
    "a": {}
  }]`))
	for i, want := range []bool{false, false, false, true} {
		if recs[i].Canonical() != want {
			t.Errorf("record %d canon = %v, want %v", i, recs[i].Canonical(), want)
		}
	}
}
