package registry

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

type inner struct{ B []byte }

type stored struct {
	LatencyMS float64            `json:"latency_ms"`
	When      time.Time          `json:"when"`
	Skip      string             `json:"-"`
	Empty     string             `json:"empty,omitempty"`
	Ptr       *inner             `json:",omitempty"`
	Nil       *inner             `json:"nil,omitempty"`
	M         map[string]float64 `json:"m"`
	Arr       [2]int             `json:"arr"`
	private   int
}

type withEmbedded struct {
	inner
	X int
}

type withString struct {
	N int `json:",string"`
}

func TestEncodeValue(t *testing.T) {
	type probe struct {
		OK    bool     `json:"vision_ok"`
		Notes []string `json:"notes"`
		HTML  string   `json:"html"`
	}
	tests := []struct {
		in   any
		want string
	}{
		{nil, "null"}, {true, "true"}, {"s", `"s"`}, {42, "42"}, {int64(-7), "-7"}, {uint(3), "3"},
		{0.5, "0.5"}, {3.0, "3.0"}, {json.Number("1e3"), "1e3"},
		{[]string{"a", "b"}, `["a","b"]`}, {[]string(nil), "null"}, {[]any{1, "x", nil}, `[1,"x",null]`},
		{map[string]any{"b": 1, "a": []any{}}, `{"a":[],"b":1}`},
		{json.RawMessage(` { "k" : [ 1 , "\u00e9" ] } `), `{"k":[1,"é"]}`},
		{probe{true, []string{}, "<&>"}, `{"vision_ok":true,"notes":[],"html":"<&>"}`},
		{(*probe)(nil), "null"},
		{stored{LatencyMS: 12, When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Ptr: &inner{[]byte("hi")}, M: map[string]float64{"b": 1, "a": 0.5}},
			`{"latency_ms":12.0,"when":"2025-01-02T03:04:05Z","Ptr":{"B":"aGk="},"m":{"a":0.5,"b":1.0},"arr":[0,0]}`},
		{withEmbedded{inner{nil}, 1}, `{"B":null,"X":1}`},
		{map[int]string{2: "b", 1: "a"}, `{"1":"a","2":"b"}`},
		{withString{N: 5}, `{"N":"5"}`},
	}
	for _, tt := range tests {
		got, err := encodeValue(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("encodeValue(%#v) = %s, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{json.RawMessage(`{`), json.Number("x"), make(chan int)} {
		if _, err := encodeValue(bad); err == nil {
			t.Errorf("encodeValue(%#v) = nil error, want ErrInvalidEdit", bad)
		}
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

// Splicing: removing the first, a middle, the last or every record, and
// appending, keep the other bytes.
func TestRender(t *testing.T) {
	const file = "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"},\n  {\"name\": \"c\"}\n]\n"
	tests := []struct {
		remove []string
		add    bool
		want   string
	}{
		{nil, false, file},
		{[]string{"a"}, false, "[\n  {\"name\": \"b\"},\n  {\"name\": \"c\"}\n]\n"},
		{[]string{"b"}, false, "[\n  {\"name\": \"a\"},\n  {\"name\": \"c\"}\n]\n"},
		{[]string{"c"}, false, "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"}\n]\n"},
		{[]string{"a", "b", "c"}, false, "[]\n"},
		{[]string{"a", "b", "c"}, true, "[\n  {\n    \"name\": \"d\"\n  }\n]\n"},
		{[]string{"c"}, true, "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"},\n  {\n    \"name\": \"d\"\n  }\n]\n"},
	}
	for _, tt := range tests {
		l, err := parseLayer("f", []byte(file), stamp{})
		if err != nil {
			t.Fatal(err)
		}
		var chs []change
		for _, n := range tt.remove {
			chs = append(chs, change{kind: changeRemove, name: n})
		}
		if tt.add {
			chs = append(chs, change{kind: changeAdd, name: "d", rec: []byte("{\n    \"name\": \"d\"\n  }")})
		}
		nd, err := applyChanges(nil, l, chs, "", true)
		if err != nil {
			t.Fatal(err)
		}
		out, nl := nd.render()
		if string(out) != tt.want {
			t.Errorf("render(remove %v, add %v) = %q, want %q", tt.remove, tt.add, out, tt.want)
		}
		// The new layer's records point at the new bytes.
		for _, r := range nl.recs {
			if !strings.Contains(string(out), string(r.raw)) || r.off < 0 || string(out[r.off:r.off+len(r.raw)]) != string(r.raw) {
				t.Errorf("rendered record %q is not at its offset", r.name)
			}
		}
	}
}
