package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// FuzzImportListing feeds import server listings of any bytes (through
// planImport, Import without its I/O): it never
// fails, every entry it would add has a name and served id that validate
// accepts (non-empty, no surrounding spaces, no control characters, UTF-8),
// names are unique and new, every record is a JSON object with that name,
// and each id it skips is either covered already or named in a warning.
func FuzzImportListing(f *testing.F) {
	f.Add("llava:latest", "llava", "  spaced  ", "nul\x00id")
	f.Add("a", "a", "a ", "\na")
	f.Add("taken", "x", "x (2)", "\x1b]0;t\x07")
	f.Add("bad\xff", "", " ", "known")
	dir := writeRegistry(f, `[{"name": "taken", "backend": "other"}, {"name": "k", "backend": "fake", "served_model_id": "known"}]`, "")
	reg, err := registry.Open(context.Background(), dir, registry.Options{ReadOnly: true})
	if err != nil {
		f.Fatal(err)
	}
	entries := reg.Entries(context.Background())
	f.Fuzz(func(t *testing.T, id1, alias1, id2, id3 string) {
		models := []sdk.ServedModel{{ID: id1, Aliases: []string{alias1}}, {ID: id2}, {ID: id3}}
		var warned []string
		target := importTarget{backend: "fake", endpoint: "http://127.0.0.1:9/v1", warn: func(m string) { warned = append(warned, m) }}
		got, recs, err := planImport(context.Background(), entries, models, target)
		if err != nil || len(recs) != len(got) {
			t.Fatalf("planImport() = %d entries, %d records, %v", len(got), len(recs), err)
		}
		names := map[string]bool{"taken": true, "k": true}
		for _, im := range got {
			for _, s := range []string{im.Name, im.ServedModelID} {
				if s == "" || strings.TrimSpace(s) != s || !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
					t.Errorf("Import() would add %q (served %q), which validate refuses", im.Name, im.ServedModelID)
				}
			}
			if names[im.Name] {
				t.Errorf("Import() would add %q twice or over an existing entry", im.Name)
			}
			names[im.Name] = true
			var rec struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(im.Record, &rec); err != nil || rec.Name != im.Name {
				t.Errorf("record %s does not decode to name %q: %v", im.Record, im.Name, err)
			}
		}
		for _, id := range []string{id1, id2, id3} {
			id = strings.TrimSpace(id)
			if id == "" || validID(id) {
				continue
			}
			if len(warned) == 0 {
				t.Errorf("id %q skipped without a warning", id)
			}
		}
	})
}
