//go:build unix

package ollama

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
	"github.com/imageworks-ai/loader/sdk"
)

// A FIFO in place of a manifest is refused at once, naming it.
func TestArtifactsManifestFIFO(t *testing.T) {
	dir, _ := store(t, "registry.ollama.ai/library/qwen2.5vl/7b", "config", "weights")
	fifo := filepath.Join(dir, "manifests", "registry.ollama.ai", "library", "piped", "latest")
	if err := os.MkdirAll(filepath.Dir(fifo), 0o755); err != nil {
		t.Fatal(err)
	}
	safefiletest.MkFIFO(t, fifo)
	b := New(WithGetenv(env(map[string]string{"OLLAMA_MODELS": dir})))
	err := safefiletest.Within(t, func() error {
		_, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "piped"}})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("Artifacts(manifest is a FIFO) = %v, want an error naming it", err)
	}
}
