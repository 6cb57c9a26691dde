package ollama

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

var _ sdk.ModelLoader = (*Backend)(nil)

// DefaultLoadTimeout bounds loading a model when the context sets no
// deadline: a large model takes a while to reach the GPU.
const DefaultLoadTimeout = 5 * time.Minute

// generateRequest is POST /api/generate without a prompt: it only loads
// or unloads the model.
type generateRequest struct {
	Model     string `json:"model"`
	KeepAlive int    `json:"keep_alive"`
}

// psResponse is GET /api/ps.
type psResponse struct {
	Models []psModel `json:"models"`
}

type psModel struct {
	Name      string    `json:"name"`
	Model     string    `json:"model"`
	Size      int64     `json:"size"`
	SizeVRAM  int64     `json:"size_vram"`
	ExpiresAt time.Time `json:"expires_at"`
}

// neverExpires is how far ahead an expiry must be to mean "kept loaded":
// Ollama reports a pinned model (keep_alive -1) as expiring centuries
// from now.
const neverExpires = 100 * 365 * 24 * time.Hour

// LoadModel loads the entry's model and pins it: POST /api/generate with
// {"model": ID, "keep_alive": -1} and no prompt, then GET /api/ps for its
// size. ID is the one Resolve gives. Errors: an unknown model wraps
// sdk.ErrModelNotFound; an unreachable server sdk.ErrUnavailable.
func (b *Backend) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	ctx, cancel := openai.CallContext(ctx, 0, DefaultLoadTimeout)
	defer cancel()
	endpoint, id, err := b.loadTarget(ctx, req)
	if err != nil {
		return sdk.LoadedModel{}, err
	}
	c := b.client(endpoint, req.APIKey)
	if _, err := c.PostJSON(ctx, "/api/generate", generateRequest{Model: id, KeepAlive: -1}, nil); err != nil {
		return sdk.LoadedModel{}, fmt.Errorf("model %s: %w", id, err)
	}
	loaded, err := b.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: endpoint, APIKey: req.APIKey})
	if err != nil {
		return sdk.LoadedModel{}, err
	}
	for _, m := range loaded {
		if canon(m.ID) == canon(id) {
			return m, nil
		}
	}
	return sdk.LoadedModel{}, fmt.Errorf("model %s was loaded but /api/ps does not list it: %w", id, sdk.ErrBadResponse)
}

// UnloadModel unloads the entry's model: POST /api/generate with
// {"model": ID, "keep_alive": 0}.
func (b *Backend) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	ctx, cancel := openai.CallContext(ctx, 0, openai.DefaultHealthTimeout)
	defer cancel()
	endpoint, id, err := b.loadTarget(ctx, req)
	if err != nil {
		return err
	}
	if _, err := b.client(endpoint, req.APIKey).PostJSON(ctx, "/api/generate", generateRequest{Model: id, KeepAlive: 0}, nil); err != nil {
		return fmt.Errorf("model %s: %w", id, err)
	}
	return nil
}

// LoadedModels lists GET /api/ps, sorted by name. A model pinned for good
// has no ExpiresAt.
func (b *Backend) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return nil, fmt.Errorf("no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := openai.CallContext(ctx, 0, openai.DefaultHealthTimeout)
	defer cancel()
	var ps psResponse
	if _, err := b.client(req.Endpoint, req.APIKey).GetJSON(ctx, "/api/ps", &ps); err != nil {
		return nil, err
	}
	out := []sdk.LoadedModel{}
	for _, m := range ps.Models {
		name := m.Name
		if name == "" {
			name = m.Model
		}
		lm := sdk.LoadedModel{ID: name, SizeBytes: m.Size, VRAMBytes: m.SizeVRAM, ExpiresAt: m.ExpiresAt}
		if m.ExpiresAt.Sub(b.now()) > neverExpires {
			lm.ExpiresAt = time.Time{}
		}
		out = append(out, lm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// loadTarget is the server and the model id a load or unload is for.
func (b *Backend) loadTarget(ctx context.Context, req sdk.LoadModelRequest) (endpoint, id string, err error) {
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: req.Entry})
	if err != nil {
		return "", "", err
	}
	endpoint = req.Endpoint
	if strings.TrimSpace(endpoint) == "" {
		endpoint = res.Endpoint
	}
	return endpoint, res.InternalModelID, nil
}
