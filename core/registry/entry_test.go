package registry_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

func TestEntryAccessors(t *testing.T) {
	f := path(t.TempDir(), "r.json")
	writeFile(t, f, `[
  {
    "name": "full",
    "display_name": "Full Model",
    "backend": "vllm",
    "backend_config": {"host": "h", "port": 8001, "base_url": "http://x/v1", "model_path": "/m", "extra_args": ["--a", "1"], "api_key_env": "KEY"},
    "capabilities": {"vision": {"enabled": true}},
    "roles": ["caption", "keywords"],
    "role_priority": {"caption": 5, "keywords": -1},
    "deprecated": true,
    "served_model_id": "org/model",
    "artifacts": {"aggregate_sha256": "abc", "files": [{"path": "a", "sha256": "1"}, {"path": "b/c", "sha256": "2"}]},
    "version_lock": {"locked": true, "expected_aggregate_sha256": "abc", "last_verified": "2025-11-06T22:32:45+00:00"},
    "download_path": "/d",
    "download_files": ["a", "b/c"],
    "unknown": {"kept": [1]}
  },
  {
    "name": "bare",
    "backend": "ollama",
    "display_name": null,
    "served_model_id": null,
    "version_lock": {"locked": false, "expected_aggregate_sha256": null, "last_verified": null}
  }
]
`)
	r, err := registry.OpenFile(context.Background(), f, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := r.Get(context.Background(), "full")
	if got := e.BackendConfig(); !slices.Equal(got.ExtraArgs, []string{"--a", "1"}) || got.Host != "h" || got.Port != 8001 || got.BaseURL != "http://x/v1" || got.ModelPath != "/m" || got.APIKeyEnv != "KEY" {
		t.Errorf("BackendConfig() = %+v", got)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"DisplayName", e.DisplayName(), "Full Model"},
		{"Backend", e.Backend(), "vllm"},
		{"ServedModelID", e.ServedModelID(), "org/model"},
		{"Roles", fmt.Sprint(e.Roles()), "[caption keywords]"},
		{"RolePriority", fmt.Sprint(e.RolePriority()), "map[caption:5 keywords:-1]"},
		{"Deprecated", e.Deprecated(), true},
		{"Artifacts", fmt.Sprint(e.Artifacts()), "{abc [{a 1} {b/c 2}]}"},
		{"VersionLock", fmt.Sprint(e.VersionLock()), "{true abc 2025-11-06T22:32:45+00:00 []}"},
		{"DownloadPath", e.DownloadPath(), "/d"},
		{"DownloadFiles", fmt.Sprint(e.DownloadFiles()), "[a b/c]"},
		{"Field(unknown)", string(e.Field("unknown")), `{"kept": [1]}`},
		{"Field(absent)", e.Field("absent") == nil, true},
		{"HasCapability(multimodal)", e.HasCapability("multimodal"), true},
		{"HasCapability(unknown)", e.HasCapability("teleport"), false},
		{"InCurated", e.InCurated(), false},
	}
	b, _ := r.Get(context.Background(), "bare")
	checks = append(checks, []struct {
		what      string
		got, want any
	}{
		{"bare DisplayName", b.DisplayName(), "bare"},
		{"bare ServedModelID", b.ServedModelID(), ""},
		{"bare Roles", fmt.Sprintf("%#v", b.Roles()), "[]string{}"},
		{"bare RolePriority", len(b.RolePriority()), 0},
		{"bare Artifacts", fmt.Sprintf("%#v", b.Artifacts().Files), "[]registry.ArtifactFile{}"},
		{"bare VersionLock", fmt.Sprint(b.VersionLock()), "{false   []}"},
		{"bare Field(display_name)", string(b.Field("display_name")), "null"},
		{"bare BackendConfig", fmt.Sprint(b.BackendConfig()), "{ 0   [] }"},
	}...)
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	raw := e.Raw()
	raw[0] = 'X' // a copy: the entry is not affected
	if e.Raw()[0] != '{' {
		t.Errorf("Raw() shares memory with the entry")
	}
	if !slices.Equal(slices.Sorted(maps.Keys(e.Capabilities())), []string{"audio", "embedding", "reasoning", "text", "thinking", "tools", "vision"}) {
		t.Errorf("Capabilities() keys = %v", e.Capabilities())
	}
}

// Example shows an embedder loading a registry, reading an entry and
// persisting a lock.
func Example() {
	dir, _ := os.MkdirTemp("", "registry-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, registry.CuratedFile), []byte(`[
  {
    "name": "demo",
    "backend": "vllm",
    "capabilities": {"vision": {"enabled": true}},
    "version_lock": {"locked": false, "expected_aggregate_sha256": null, "last_verified": null}
  }
]
`), 0o644)
	ctx := context.Background()
	r, err := registry.Open(ctx, dir, registry.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	e, _ := r.Get(context.Background(), "demo")
	fmt.Println(e.Name(), e.Backend(), e.Capabilities()["vision"], e.VersionLock().Locked)

	err = r.Update(context.Background(), "demo", func(ed *registry.Edit) error { return ed.Set("ollama", "backend") })
	fmt.Println(errors.Is(err, registry.ErrCuratedField))
	_ = r.Update(context.Background(), "demo", func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") })
	if err := r.Save(ctx); err != nil {
		fmt.Println(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, registry.DiscoveredFile))
	fmt.Print(string(b))
	// Output:
	// demo vllm true false
	// true
	// [
	//   {
	//     "name": "demo",
	//     "version_lock": {
	//       "locked": true,
	//       "expected_aggregate_sha256": null,
	//       "last_verified": null
	//     }
	//   }
	// ]
}
