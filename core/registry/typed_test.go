package registry_test

import (
	"context"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// TestTypedEditsWriteTheReferenceKeys: the typed edits core uses store
// version_lock, artifacts and probes.vision under the keys and in the
// layout the reference writes, and read back through the typed accessors.
func TestTypedEditsWriteTheReferenceKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "m", "backend": "vllm"}]`)
	r := mustOpen(t, dir, registry.Options{})
	update(t, r, "m", func(ed *registry.Edit) error {
		if err := ed.SetLocked(true); err != nil {
			return err
		}
		if err := ed.SetLastVerified("2026-01-02T03:04:05Z"); err != nil {
			return err
		}
		if err := ed.SetArtifacts(registry.Artifacts{AggregateSHA256: "agg", Files: []registry.ArtifactFile{{Path: "a.bin", SHA256: "h"}}}); err != nil {
			return err
		}
		return ed.SetVisionProbe(registry.VisionProbe{VisionOK: true, Timestamp: "t", ProbeVersion: "v1", LatencyMS: 12, Notes: "n"})
	})
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "name": "m",
    "version_lock": {
      "locked": true,
      "last_verified": "2026-01-02T03:04:05Z"
    },
    "artifacts": {
      "aggregate_sha256": "agg",
      "files": [
        {
          "path": "a.bin",
          "sha256": "h"
        }
      ]
    },
    "probes": {
      "vision": {
        "vision_ok": true,
        "timestamp": "t",
        "probe_version": "v1",
        "latency_ms": 12,
        "notes": "n"
      }
    }
  }
]
`
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != want {
		t.Errorf("discovered file after typed edits =\n%s\nwant\n%s", got, want)
	}
	e, err := mustOpen(t, dir, registry.Options{}).Get(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if vl := e.VersionLock(); !vl.Locked || vl.LastVerified != "2026-01-02T03:04:05Z" {
		t.Errorf("VersionLock() = %+v", vl)
	}
	if a := e.Artifacts(); a.AggregateSHA256 != "agg" || len(a.Files) != 1 || a.Files[0].Path != "a.bin" {
		t.Errorf("Artifacts() = %+v", a)
	}
	if !equalJSON(t, e.Probes(), []byte(`{"vision": {"vision_ok": true, "timestamp": "t", "probe_version": "v1", "latency_ms": 12, "notes": "n"}}`)) {
		t.Errorf("Probes() = %s", e.Probes())
	}
	if e.Performance() != nil {
		t.Errorf("Performance() = %s, want nil for an entry without one", e.Performance())
	}
}

// TestStoredAliases: model_aliases as stored, only when it is a list of
// strings; Aliases is the cleaned view.
func TestStoredAliases(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[
  {"name": "a", "backend": "vllm", "model_aliases": [" x ", "a", "y"]},
  {"name": "b", "backend": "vllm", "model_aliases": ["x", 1]},
  {"name": "c", "backend": "vllm"}
]`)
	r := mustOpen(t, dir, registry.Options{})
	for name, want := range map[string][]string{"a": {" x ", "a", "y"}, "b": nil, "c": nil} {
		e, err := r.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.StoredAliases(); !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Errorf("%s: StoredAliases() = %q, want %q", name, got, want)
		}
	}
}

// TestImportedRecordJSON: an imported record's keys and their order are
// the reference's, empty optional members left out.
func TestImportedRecordJSON(t *testing.T) {
	rec := registry.ImportedRecord{
		Name: "m", DisplayName: "m", Backend: "ollama",
		BackendConfig: registry.ImportedConfig{Host: "h", Port: 1, APIKeyEnv: "K"},
		Metadata:      registry.ImportedMeta{RegistryLayer: "discovered", ImportedFrom: "http://h:1/v1"},
		ServedModelID: "m", ModelAliases: []string{"alias"},
	}
	got, err := rec.JSON()
	want := `{"name":"m","display_name":"m","backend":"ollama","backend_config":{"port":1,"host":"h","api_key_env":"K"},` +
		`"metadata":{"registry_layer":"discovered","imported_from":"http://h:1/v1"},"served_model_id":"m","model_aliases":["alias"]}`
	if err != nil || string(got) != want {
		t.Errorf("JSON() = %s, %v, want %s", got, err, want)
	}
}
