package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// corpusEntry is the part of a registry entry these tests read.
type corpusEntry struct {
	Name          string `json:"name"`
	BackendConfig struct {
		ModelPath string `json:"model_path"`
	} `json:"backend_config"`
	DownloadPath  string   `json:"download_path"`
	DownloadFiles []string `json:"download_files"`
	Artifacts     struct {
		Aggregate string `json:"aggregate_sha256"`
		Files     []File `json:"files"`
	} `json:"artifacts"`
}

func readCorpus(t *testing.T) []corpusEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "imageworks-registry", "model_registry.discovered.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []corpusEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestCorpusAggregates recomputes every stored aggregate of the real corpus
// from the entry's own manifest.
func TestCorpusAggregates(t *testing.T) {
	checked := 0
	for _, e := range readCorpus(t) {
		if len(e.Artifacts.Files) == 0 {
			continue
		}
		checked++
		t.Run(e.Name, func(t *testing.T) {
			got, err := Aggregate(e.Artifacts.Files)
			if err != nil || got != e.Artifacts.Aggregate {
				t.Errorf("Aggregate(%s manifest, %d files) = %q, %v, want %q", e.Name, len(e.Artifacts.Files), got, err, e.Artifacts.Aggregate)
			}
		})
	}
	if checked != 6 {
		t.Errorf("corpus entries with a manifest = %d, want 6", checked)
	}
}

// TestCorpusForeignPaths hashes every corpus entry: their folders live on
// another machine, so each must fail cleanly with ErrArtifactsMissing.
func TestCorpusForeignPaths(t *testing.T) {
	for _, e := range readCorpus(t) {
		t.Run(e.Name, func(t *testing.T) {
			paths := make([]string, len(e.Artifacts.Files))
			for i, f := range e.Artifacts.Files {
				paths[i] = f.Path
			}
			src := Source{Listed: paths, DownloadPath: e.DownloadPath,
				ModelPath: e.BackendConfig.ModelPath, BaseDir: t.TempDir(), Home: t.TempDir()}
			_, err := Collect(context.Background(), src, Options{})
			if !errors.Is(err, ErrArtifactsMissing) {
				t.Errorf("Collect(%s) error = %v, want one wrapping ErrArtifactsMissing", e.Name, err)
			}
		})
	}
}
