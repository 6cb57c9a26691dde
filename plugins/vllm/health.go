package vllm

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/imageworks-ai/loader/plugins/internal/backendutil"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Health asks GET /health (200 with an empty body when up, 503 when the
// engine is dead) and GET /version at the server root (the endpoint without
// /v1), neither with the API key, then lists /v1/models with the key: every
// alias card counts as served.
//
// A server that is unreachable, times out or answers an error is reported
// as Up false with a note, not as an error. Errors: an empty endpoint wraps
// sdk.ErrBadRequest; a refused key (401) on /v1/models wraps
// sdk.ErrUnauthorized; a cancelled context is returned as is.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return sdk.HealthStatus{}, fmt.Errorf("vllm: health: no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := backendutil.WithTimeout(ctx, 0, backendutil.DefaultHealthTimeout)
	defer cancel()
	root := backendutil.Client(b.shared, openai.ServerRoot(req.Endpoint), "")
	hs := sdk.HealthStatus{Models: openai.Statuses(req.Models, nil, nil)}
	r, err := root.Do(ctx, http.MethodGet, "/health", nil)
	if r != nil {
		hs.LatencyMS = r.Latency.Milliseconds()
	}
	if err != nil {
		if note, down := backendutil.Down(err); down {
			hs.Notes = append(hs.Notes, "vllm: "+note)
			return hs, nil
		}
		return sdk.HealthStatus{}, fmt.Errorf("vllm: health: %w", err)
	}
	hs.Up = true
	var v struct {
		Version string `json:"version"`
	}
	if _, err := root.GetJSON(ctx, "/version", &v); err == nil {
		hs.Version = v.Version
	} else if ctx.Err() != nil {
		return sdk.HealthStatus{}, fmt.Errorf("vllm: health: %w", err)
	} else {
		hs.Notes = append(hs.Notes, "no version: "+err.Error())
	}
	return backendutil.ListServed(ctx, b.shared, req, hs)
}
