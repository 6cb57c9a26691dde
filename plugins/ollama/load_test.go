package ollama_test

import (
	"context"
	"errors"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/sdk"
)

func TestLoadUnload(t *testing.T) {
	srv := standin.NewOllama(standin.Config{Models: []standin.Model{{ID: "llava:7b", Vision: true}, {ID: "qwen3:8b"}}})
	defer srv.Close()
	ctx := context.Background()
	b := ollama.New()
	entry := sdk.Entry{Name: "llava", Backend: "ollama", ServedModelID: "llava:7b", Config: sdk.BackendConfig{BaseURL: srv.Endpoint()}}
	req := sdk.LoadModelRequest{Entry: entry}

	m, err := b.LoadModel(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "llava:7b" || m.VRAMBytes == 0 || !m.ExpiresAt.IsZero() {
		t.Errorf("LoadModel() = %+v, want llava:7b in VRAM, pinned (no expiry)", m)
	}
	gen := srv.RequestsTo("/api/generate")
	if len(gen) != 1 || string(gen[0].Body) != `{"model":"llava:7b","keep_alive":-1}` {
		t.Errorf("POST /api/generate bodies = %v, want one keep_alive -1", gen)
	}
	loaded, err := b.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: srv.Endpoint()})
	if err != nil || len(loaded) != 1 || loaded[0].ID != "llava:7b" {
		t.Errorf("LoadedModels() = %+v, %v, want llava:7b", loaded, err)
	}

	if err := b.UnloadModel(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := srv.Loaded(); len(got) != 0 {
		t.Errorf("after UnloadModel the server has %q loaded, want none", got)
	}
	gen = srv.RequestsTo("/api/generate")
	if len(gen) != 2 || string(gen[1].Body) != `{"model":"llava:7b","keep_alive":0}` {
		t.Errorf("POST /api/generate bodies = %v, want keep_alive 0 last", gen)
	}

	entry.ServedModelID = "ghost"
	if _, err := b.LoadModel(ctx, sdk.LoadModelRequest{Entry: entry}); !errors.Is(err, sdk.ErrModelNotFound) {
		t.Errorf("LoadModel(ghost) error = %v, want ErrModelNotFound", err)
	}
	if _, err := b.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: "http://127.0.0.1:9"}); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("LoadedModels(closed port) error = %v, want ErrUnavailable", err)
	}
}
