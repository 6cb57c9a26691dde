package registry

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestFieldTable: every row of the field table names its key once, and
// ownership, merging and validation all read that row.
func TestFieldTable(t *testing.T) {
	rows := fieldRows()
	seen := map[string]bool{}
	var runtime []string
	for _, f := range rows {
		if seen[f.key] {
			t.Errorf("field %q has more than one row", f.key)
		}
		seen[f.key] = true
		if f.owner == ownerRuntime {
			runtime = append(runtime, f.key)
		}
		if got := RuntimeOwned(f.key); got != (f.owner == ownerRuntime) {
			t.Errorf("RuntimeOwned(%q) = %v, want the table's owner", f.key, got)
		}
		checksFieldByRow(t, f)
	}
	slices.Sort(runtime)
	want := []string{"artifacts", "download_directory_checksum", "download_files", "download_format",
		"download_location", "download_path", "download_size_bytes", "downloaded_at", "last_accessed",
		"performance", "probes", "version_lock"}
	if !slices.Equal(runtime, want) {
		t.Errorf("runtime-owned fields = %q, want %q (registry-format.md)", runtime, want)
	}
	if RuntimeOwned("unknown_field") {
		t.Error("RuntimeOwned(unknown) = true, want unknown keys curated")
	}
	d, err := parseRecord([]byte(`{"name": "x", "performance": {"ttft_ms_avg": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseRecord([]byte(`{"name": "x", "performance": {"ttft_ms_avg": 2}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := newEntry("x", c, d).Field(keyPerformance); string(got) != `{"ttft_ms_avg": 1}` {
		t.Errorf("merged performance = %s, want the discovered value of a runtime-owned field", got)
	}
}

// checksFieldByRow: checkField judges values of f.key as f's check does
// (rejecting at least one of a few probes), or accepts every value when f
// has no check.
func checksFieldByRow(t *testing.T, f fieldDef) {
	t.Helper()
	rejected := false
	for _, p := range []string{`null`, `true`, `1`, `1.5`, `"x"`, `[]`, `[1]`, `{}`, `{"x": 1}`} {
		got := checkField(f.key, []byte(p))
		want := ""
		if f.check != nil {
			want = f.check(f.key, []byte(p))
		}
		if got != want {
			t.Errorf("checkField(%q, %s) = %q, want the table's check: %q", f.key, p, got, want)
		}
		rejected = rejected || want != ""
	}
	if f.check != nil && !rejected {
		t.Errorf("field %q: its check accepts every probe, so checkField's use of it is untested", f.key)
	}
}

// configSample is a value of kind that reads as a non-zero typed value.
func configSample(k configKind) []byte {
	switch k {
	case configInt:
		return []byte(`7`)
	case configStrings:
		return []byte(`["a", "b"]`)
	}
	return []byte(`"v"`)
}

// jsonKey is the key a struct field's json tag names.
func jsonKey(f reflect.StructField) string {
	k, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return k
}

// TestConfigRows: the backend_config table and its typed views agree. Each
// typed row fills exactly the BackendConfig field tagged with its key,
// every BackendConfig field has such a row, ImportedConfig's fields are
// typed rows too (same key, same Go name, same type), Validate checks each
// member by its kind, and Entry.BackendConfig decodes a record holding
// every member. A field or a row added on one side alone fails here.
func TestConfigRows(t *testing.T) {
	bcType := reflect.TypeFor[BackendConfig]()
	byKey := map[string]reflect.StructField{}
	for i := range bcType.NumField() {
		f := bcType.Field(i)
		byKey[jsonKey(f)] = f
	}
	typed := map[string]string{} // key -> Go field name
	record := `{"backend_config": {`
	want := BackendConfig{}
	seen := map[string]bool{}
	for i, r := range configRows() {
		if seen[r.key] {
			t.Errorf("backend_config.%s has more than one row", r.key)
		}
		seen[r.key] = true
		sample := configSample(r.kind)
		if i > 0 {
			record += ", "
		}
		record += `"` + r.key + `": ` + string(sample)
		if msg := r.kind.check()("backend_config."+r.key, sample); msg != "" {
			t.Errorf("backend_config.%s: its check rejects its sample %s: %s", r.key, sample, msg)
		}
		if msg := checkField(keyBackendConfig, []byte(`{"`+r.key+`": {}}`)); !strings.Contains(msg, "backend_config."+r.key) {
			t.Errorf("Validate of backend_config.%s = {} says %q, want it rejected by the row's check", r.key, msg)
		}
		if r.into == nil {
			continue
		}
		var got BackendConfig
		r.into(&got, sample)
		r.into(&want, sample)
		v := reflect.ValueOf(got)
		var set []string
		for j := range bcType.NumField() {
			if !v.Field(j).IsZero() {
				set = append(set, bcType.Field(j).Name)
			}
		}
		f, ok := byKey[r.key]
		if !ok || len(set) != 1 || set[0] != f.Name {
			t.Errorf("row backend_config.%s fills BackendConfig fields %v, want the one field tagged %q", r.key, set, r.key)
			continue
		}
		typed[r.key] = f.Name
	}
	for key, f := range byKey {
		if _, ok := typed[key]; !ok {
			t.Errorf("BackendConfig.%s (json %q) has no typed row in configRows", f.Name, key)
		}
	}
	it := reflect.TypeFor[ImportedConfig]()
	for i := range it.NumField() {
		f := it.Field(i)
		key := jsonKey(f)
		if name, ok := typed[key]; !ok || name != f.Name || byKey[key].Type != f.Type {
			t.Errorf("ImportedConfig.%s (json %q, %s) matches no typed row's BackendConfig field", f.Name, key, f.Type)
		}
	}
	recs, serr := scanRecords([]byte("[" + record + "}}]"))
	if serr != nil {
		t.Fatalf("scanning %s}}: %v", record, serr)
	}
	if got := newEntry("m", nil, recs[0]).BackendConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("Entry.BackendConfig() of %s}} = %+v, want %+v", record, got, want)
	}
	if got := BackendConfigKeys(); len(got) != len(configRows()) {
		t.Errorf("BackendConfigKeys() has %d keys, want the table's %d", len(got), len(configRows()))
	}
}
