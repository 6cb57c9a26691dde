package ollama_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/sdk"
)

// TestRealOllamaLoadUnload is opt-in: with IMAGEWORKS_REAL_OLLAMA set to a
// running Ollama's URL (http://127.0.0.1:11434) and
// IMAGEWORKS_REAL_OLLAMA_MODEL to a model it has (../shared/tools/real-ollama
// builds a CPU Ollama and a tiny model), it loads, lists and unloads that
// model for real.
func TestRealOllamaLoadUnload(t *testing.T) {
	url, model := os.Getenv("IMAGEWORKS_REAL_OLLAMA"), os.Getenv("IMAGEWORKS_REAL_OLLAMA_MODEL")
	if url == "" || model == "" {
		t.Skip("set IMAGEWORKS_REAL_OLLAMA and IMAGEWORKS_REAL_OLLAMA_MODEL to run against a real Ollama")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	b := ollama.New()
	req := sdk.LoadModelRequest{Entry: sdk.Entry{Name: "real", Backend: "ollama", ServedModelID: model, Config: sdk.BackendConfig{BaseURL: url + "/v1"}}}
	m, err := b.LoadModel(ctx, req)
	if err != nil {
		t.Fatalf("LoadModel(%s) error = %v", model, err)
	}
	if !m.ExpiresAt.IsZero() {
		t.Errorf("LoadModel(%s).ExpiresAt = %v, want none (pinned)", model, m.ExpiresAt)
	}
	ids := func() []string {
		loaded, err := b.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: url + "/v1"})
		if err != nil {
			t.Fatalf("LoadedModels() error = %v", err)
		}
		var out []string
		for _, l := range loaded {
			out = append(out, l.ID)
		}
		return out
	}
	if got := ids(); !slices.Contains(got, m.ID) {
		t.Errorf("LoadedModels() = %q after LoadModel, want %q in it", got, m.ID)
	}
	if err := b.UnloadModel(ctx, req); err != nil {
		t.Fatalf("UnloadModel() error = %v", err)
	}
	// Ollama unloads in the background: wait for /api/ps to drop it.
	for deadline := time.Now().Add(30 * time.Second); slices.Contains(ids(), m.ID); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("LoadedModels() still lists %q 30s after UnloadModel", m.ID)
		}
	}
}
