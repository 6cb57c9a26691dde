package registry

import (
	"os"
	"path/filepath"
	"testing"
)

// Python's repr of the same floats (computed with CPython 3).
func TestPyFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {0.95, "0.95"}, {12.0, "12.0"},
		{1e-05, "1e-05"}, {0.0001, "0.0001"}, {1.5e-7, "1.5e-07"}, {123456789.0, "123456789.0"},
		{1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {1.2345e20, "1.2345e+20"},
		{0.30000000000000004, "0.30000000000000004"}, {1e300, "1e+300"}, {5e-324, "5e-324"},
	}
	for _, tt := range tests {
		if got, err := pyFloat(tt.in); got != tt.want || err != nil {
			t.Errorf("pyFloat(%v) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"é ü 漢 🙂", `"é ü 漢 🙂"`},
		{"<a&b>", `"<a&b>"`},
		{"q\"b\\s", `"q\"b\\s"`},
		{"\n\r\t\b\f\x01\x1f\x7f", `"\n\r\t\b\f\u0001\u001f` + "\x7f" + `"`},
		{"\u2028", "\"\u2028\""},
	}
	for _, tt := range tests {
		if got := string(appendQuoted(nil, tt.in)); got != tt.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if u := unquote([]byte(tt.want)); u != tt.in {
			t.Errorf("unquote(%s) = %q, want %q", tt.want, u, tt.in)
		}
	}
	if got := unquote([]byte(`"\u00e9\ud83d\ude42\/"`)); got != "é🙂/" {
		t.Errorf("unquote(escapes) = %q, want é🙂/", got)
	}
}

// The corpus files are in the reference layout: reformatting them changes
// nothing, and every record scans as canonical.
func TestCorpusLayoutIsReference(t *testing.T) {
	for _, f := range []string{CuratedFile, DiscoveredFile, SnapshotFile, "legacy-single-file.json"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "imageworks-registry", f))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(reformat(nil, data, 0)) + "\n"; got != string(data) {
			t.Errorf("reformat(%s) differs from the file", f)
		}
		recs, serr := scanRecords(data)
		if serr != nil {
			t.Fatalf("scanRecords(%s) = %v", f, serr)
		}
		for _, r := range recs {
			if !r.canon {
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
		if recs[i].canon != want {
			t.Errorf("record %d canon = %v, want %v", i, recs[i].canon, want)
		}
	}
}
