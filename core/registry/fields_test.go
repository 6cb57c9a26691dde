package registry

import (
	"slices"
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
	d := []byte(`{"ttft_ms_avg": 1}`)
	if got, _, ok := resolveKey(keyPerformance, side{d, true, true}, side{[]byte(`{"ttft_ms_avg": 2}`), true, true}, 2); !ok || string(got) != `{"ttft_ms_avg": 1}` {
		t.Errorf("resolveKey(performance) = %s, want the discovered value of a runtime-owned field", got)
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
