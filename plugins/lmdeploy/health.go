package lmdeploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/imageworks-ai/loader/plugins/internal/backendutil"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// healthBody is LMDeploy 0.14+'s /health answer.
type healthBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// Health asks GET /health at the server root (the endpoint without /v1),
// without the API key. LMDeploy 0.14+ answers JSON {"status": ...}:
// "healthy" and "sleeping" (200) are up, "unhealthy" and "initializing"
// (503) are down; up to 0.13 it answers 200 with an empty body. LMDeploy has
// no /version, so Version stays "". It then lists /v1/models with the key.
//
// A server that is unreachable, times out or answers an error is reported
// as Up false with a note, not as an error. Errors: an empty endpoint wraps
// sdk.ErrBadRequest; a refused key (401) on /v1/models wraps
// sdk.ErrUnauthorized; a cancelled context is returned as is.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return sdk.HealthStatus{}, fmt.Errorf("lmdeploy: health: no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := backendutil.WithTimeout(ctx, 0, backendutil.DefaultHealthTimeout)
	defer cancel()
	hs := sdk.HealthStatus{Models: openai.Statuses(req.Models, nil, nil)}
	r, err := backendutil.Client(b.shared, openai.ServerRoot(req.Endpoint), "").Do(ctx, http.MethodGet, "/health", nil)
	if r != nil {
		hs.LatencyMS = r.Latency.Milliseconds()
	}
	var body healthBody
	hasJSON := r != nil && len(bytes.TrimSpace(r.Body)) > 0 && json.Unmarshal(r.Body, &body) == nil && body.Status != ""
	if err != nil {
		note, down := backendutil.Down(err)
		if !down {
			return sdk.HealthStatus{}, fmt.Errorf("lmdeploy: health: %w", err)
		}
		if hasJSON {
			note = fmt.Sprintf("lmdeploy /health: status %q (HTTP %d)", body.Status, r.StatusCode)
			if body.Message != "" {
				note += ": " + body.Message
			}
		}
		hs.Notes = append(hs.Notes, note)
		return hs, nil
	}
	switch {
	case !hasJSON:
		hs.Up = true
		hs.Notes = append(hs.Notes, "/health answered 200 with no JSON status (LMDeploy 0.13 or older)")
	case body.Status == "healthy":
		hs.Up = true
	case body.Status == "sleeping":
		hs.Up = true
		hs.Notes = append(hs.Notes, "lmdeploy /health: status \"sleeping\" (up; weights are offloaded until woken)")
	default:
		hs.Notes = append(hs.Notes, fmt.Sprintf("lmdeploy /health: status %q (HTTP %d)", body.Status, r.StatusCode))
		return hs, nil
	}
	return backendutil.ListServed(ctx, b.shared, req, hs)
}
