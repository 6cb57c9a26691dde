package registry

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

func corpusSeed(f *testing.F, name string) []byte {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "imageworks-registry", name))
	if err != nil {
		f.Fatal(err)
	}
	return data
}

// firstRecords returns a layer of a corpus file's first n records (whole
// files make the fuzzer crawl).
func firstRecords(f *testing.F, name string, n int) []byte {
	recs, serr := scanRecords(corpusSeed(f, name))
	if serr != nil {
		f.Fatal(serr)
	}
	out := []byte("[\n  ")
	for i, r := range recs[:n] {
		if i > 0 {
			out = append(out, ",\n  "...)
		}
		out = append(out, r.Bytes()...)
	}
	return append(out, "\n]\n"...)
}

// nonStandard reports tokens Python accepts and encoding/json does not.
func nonStandard(data []byte) bool {
	return bytes.Contains(data, []byte("NaN")) || bytes.Contains(data, []byte("Infinity"))
}

// FuzzParse: the scanner never panics, accepts exactly the JSON arrays
// encoding/json accepts (UTF-8, depth and Python's NaN/Infinity aside),
// and what it indexes agrees with encoding/json.
func FuzzParse(f *testing.F) {
	f.Add(firstRecords(f, DiscoveredFile, 1))
	f.Add([]byte(`[{"name": " x ", "backend": "vllm", "a": {"b": [1, 2.5e-3, true, null, "\u00e9\n"]}}]`))
	f.Add([]byte(`[{"name": "x", "name": "y"}, [], 1, "s", {"k": NaN}]`))
	f.Add([]byte(`[`))
	f.Add([]byte("[\"\xff\"]"))
	f.Add([]byte("[\n  {\n    \"a\": \"caf\\u00e9 \\/\"\n  }\n]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, serr := scanRecords(data)
		if serr != nil {
			if serr.Off < 0 || serr.Off > len(data) {
				t.Fatalf("error offset %d outside [0, %d]", serr.Off, len(data))
			}
			if serr.Line < 1 || serr.Col < 1 {
				t.Fatalf("error position %d:%d, want 1-based", serr.Line, serr.Col)
			}
			trimmed := bytes.TrimLeft(data, " \t\r\n")
			if json.Valid(data) && utf8.Valid(data) && len(trimmed) > 0 && trimmed[0] == '[' && !strings.Contains(serr.Msg, "nesting") {
				t.Fatalf("scanRecords rejected valid JSON: %s", serr.Msg)
			}
			return
		}
		if nonStandard(data) {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanRecords accepted invalid JSON %q", data)
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(data, &elems); err != nil {
			t.Fatalf("accepted input is not an array: %v", err)
		}
		if len(elems) != len(recs) {
			t.Fatalf("%d records, encoding/json sees %d", len(recs), len(elems))
		}
		for i, r := range recs {
			if !bytes.Equal(bytes.TrimSpace(elems[i]), r.Bytes()) {
				t.Fatalf("record %d raw = %q, want %q", i, r.Bytes(), elems[i])
			}
			if !r.IsObject() {
				continue
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(r.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			for k, v := range m {
				got := r.Get(k)
				if got.Kind() == doc.Missing || !bytes.Equal(got, bytes.TrimSpace(v)) {
					t.Fatalf("record %d field %q = %q, want %q", i, k, got, v)
				}
			}
			if !doc.Value(doc.Reformat(nil, r.Bytes(), 1)).Equal(r.Bytes()) {
				t.Fatalf("reformat changed the value of %q", r.Bytes())
			}
			// Canonical is about whitespace: a string's escapes (\u00e9,
			// \/) are kept as read, and Reformat spells them out.
			if r.Canonical() && !bytes.ContainsRune(r.Bytes(), '\\') && !bytes.Equal(doc.Reformat(nil, r.Bytes(), 1), r.Bytes()) {
				t.Fatalf("record %q marked canonical but reformats to %q", r.Bytes(), doc.Reformat(nil, r.Bytes(), 1))
			}
		}
	})
}

// oracleMerge is the contract's merge on decoded values.
func oracleMerge(dis, cur map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range dis {
		out[k] = v
	}
	for k, cv := range cur {
		dv, dok := dis[k]
		if runtimeOwned(k) {
			if !dok || dv == nil {
				if cv != nil || !dok {
					out[k] = cv
				}
			}
			continue
		}
		out[k] = mergeValue(dv, dok, cv)
	}
	return out
}

func mergeValue(dv any, dok bool, cv any) any {
	if cv == nil {
		if dok {
			return dv
		}
		return nil
	}
	dm, dIsObj := dv.(map[string]any)
	cm, cIsObj := cv.(map[string]any)
	if !dok || !dIsObj || !cIsObj {
		return cv
	}
	out := map[string]any{}
	for k, v := range dm {
		out[k] = v
	}
	for k, v := range cm {
		sub, ok := dm[k]
		out[k] = mergeValue(sub, ok, v)
	}
	return out
}

func decodeLayer(data []byte) (map[string]map[string]any, bool) {
	var elems []json.RawMessage
	if json.Unmarshal(data, &elems) != nil {
		return nil, false
	}
	out := map[string]map[string]any{}
	for _, e := range elems {
		var m map[string]any
		if json.Unmarshal(e, &m) != nil {
			continue
		}
		if n, ok := m["name"].(string); ok {
			out[strings.TrimSpace(n)] = m
		}
	}
	return out, true
}

// FuzzMerge: merging two layers never panics, produces valid JSON equal to
// the contract's merge, and an edit of a merged entry gives a record that
// scans and holds the new value.
func FuzzMerge(f *testing.F) {
	f.Add(firstRecords(f, CuratedFile, 2), firstRecords(f, DiscoveredFile, 3))
	f.Add([]byte(`[{"name": "a", "backend": "vllm", "capabilities": {"vision": true, "x": null}, "version_lock": {"locked": true}}]`),
		[]byte(`[{"name": "a", "capabilities": {"vision": {"enabled": true}, "y": 1}, "version_lock": null, "z": 1}, {"name": "b"}]`))
	f.Add([]byte(`[{"name": "a", "capabilities": {"v": {"enabled": null, "x": 1}, "w": {"enabled": {}}, "Chat": false, "o1": true}}]`),
		[]byte(`[{"name": "a", "capabilities": {"v": {"enabled": true}, "w": {"enabled": true}, "z": {}, "text": true, "o1": null}}]`))
	f.Add([]byte(`[{"name": "a", "metadata": {"k": {"deep": 1}}, "roles": ["x"]}]`),
		[]byte(`[{"name": "a", "metadata": {"k": {"deep": 2, "other": 3}}, "roles": null, "artifacts": {"files": []}}]`))
	f.Fuzz(func(t *testing.T, curData, disData []byte) {
		cur, err := parseLayer("c", curData, stamp{})
		if err != nil {
			return
		}
		dis, err := parseLayer("d", disData, stamp{})
		if err != nil {
			return
		}
		v := buildView(cur, dis)
		oc, okc := decodeLayer(curData)
		od, okd := decodeLayer(disData)
		check := okc && okd && !nonStandard(curData) && !nonStandard(disData)
		for _, e := range v.entries {
			raw := e.merged()
			if !validValue(raw) {
				t.Fatalf("merged %q is not valid JSON: %q", e.name, raw)
			}
			wantCaps := normalizeCaps(doc.Value(raw).Get("capabilities"))
			if !reflect.DeepEqual(e.Capabilities(), wantCaps) {
				t.Fatalf("Capabilities(%q) = %v, want %v (normalised merged bytes)", e.name, e.Capabilities(), wantCaps)
			}
			for _, k := range []string{"vision", "text", "thinking", "reasoning", "tools", "nope", "o1", "chat"} {
				if got := e.HasCapability(k); got != wantCaps[CanonicalCapability(k)] {
					t.Fatalf("HasCapability(%q) of %q = %v, want %v", k, e.name, got, wantCaps[CanonicalCapability(k)])
				}
			}
			if !check {
				continue
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("merged %q: %v", e.name, err)
			}
			want := od[e.name]
			if c, ok := oc[e.name]; ok {
				if d, ok := od[e.name]; ok {
					want = oracleMerge(d, c)
				} else {
					want = c
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("merged %q = %v, want %v", e.name, got, want)
			}
		}
		if len(v.entries) == 0 {
			return
		}
		e := v.entries[0]
		nr, _, err := applyOps(e.name, e.cur, e.dis, []op{{path: []string{"version_lock", "locked"}, val: []byte("true")}})
		if err != nil {
			t.Fatalf("editing %q: %v", e.name, err)
		}
		if got := newEntry(e.name, e.cur, nr).get("version_lock", "locked"); string(got) != "true" {
			t.Fatalf("after the edit version_lock.locked = %s, want true", got)
		}
	})
}
