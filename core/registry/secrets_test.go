package registry_test

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// TestSnapshotMasksSecretArgs: the values of secret flags in extra_args
// (--api-key KEY, --hf-token=TOKEN, LMDeploy's --api-keys K1 K2) are
// masked in the snapshot, both for an entry from the curated layer and for
// one only in the discovered layer; the other arguments (and a non-string
// element) stay, and both layers keep the real values.
func TestSnapshotMasksSecretArgs(t *testing.T) {
	dir := t.TempDir()
	curated := `[
  {
    "name": "cur",
    "backend": "vllm",
    "backend_config": {
      "extra_args": ["--api-key", "sk-curated-1", "--hf-token=hf_curated_2", "--seed", 7, "--max-model-len", "8192"]
    }
  },
  {
    "name": "plain",
    "backend": "vllm",
    "backend_config": {
      "extra_args": ["--seed", "1"]
    }
  }
]
`
	discovered := `[
  {
    "name": "dis",
    "backend": "lmdeploy",
    "backend_config": {
      "extra_args": ["--api-keys", "k-dis-3", "k-dis-4", "--tp", "1"]
    }
  }
]
`
	writeFile(t, path(dir, registry.CuratedFile), curated)
	writeFile(t, path(dir, registry.DiscoveredFile), discovered)
	lockEntry(t, mustOpen(t, dir, registry.Options{}), "plain", true)

	snap := readFile(t, path(dir, registry.SnapshotFile))
	for _, key := range []string{"sk-curated-1", "hf_curated_2", "k-dis-3", "k-dis-4"} {
		if bytes.Contains(snap, []byte(key)) {
			t.Errorf("snapshot holds the key %q:\n%s", key, snap)
		}
	}
	recs := decodeByName(t, snap)
	for name, want := range map[string][]any{
		"cur":   {"--api-key", "xxxxx", "--hf-token=xxxxx", "--seed", float64(7), "--max-model-len", "8192"},
		"dis":   {"--api-keys", "xxxxx", "xxxxx", "--tp", "1"},
		"plain": {"--seed", "1"},
	} {
		bc, _ := recs[name].(map[string]any)["backend_config"].(map[string]any)
		if got := bc["extra_args"]; !reflect.DeepEqual(got, want) {
			t.Errorf("snapshot %s extra_args = %v, want %v", name, got, want)
		}
	}
	if got := string(readFile(t, path(dir, registry.CuratedFile))); got != curated {
		t.Errorf("curated file changed:\n%s", got)
	}
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); !strings.Contains(got, `"k-dis-3"`) {
		t.Errorf("discovered layer lost the real key:\n%s", got)
	}
}

// TestGenerationFollowsChanges: Generation stays put while nothing
// changes, and moves on a staged edit and on a layer changed on disk.
func TestGenerationFollowsChanges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "a", "backend": "vllm"}]`+"\n")
	r := mustOpen(t, dir, registry.Options{})
	g0 := r.Generation(ctx)
	if g := r.Generation(ctx); g != g0 {
		t.Errorf("Generation() = %d then %d with nothing changed", g0, g)
	}
	if err := r.Update(ctx, "a", func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") }); err != nil {
		t.Fatal(err)
	}
	g1 := r.Generation(ctx)
	if g1 == g0 {
		t.Errorf("Generation() = %d after a staged edit, want a new one", g1)
	}
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "a", "backend": "vllm"}, {"name": "b", "backend": "vllm"}]`+"\n")
	if g := r.Generation(ctx); g == g1 {
		t.Errorf("Generation() = %d after the curated file changed, want a new one", g)
	} else if len(r.Entries(ctx)) != 2 {
		t.Errorf("Entries() after Generation() = %d entries, want the re-read 2", len(r.Entries(ctx)))
	}
}
