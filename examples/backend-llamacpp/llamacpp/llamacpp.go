// Package llamacpp is an imageworks backend for llama.cpp's server
// (llama-server). It shows a plugin built on the sdk's helpers for
// OpenAI-compatible servers, sdk/openai: Resolve is openai.Resolve on
// llama-server's default port 8080, and Health talks to GET /health and
// GET /v1/models through an openai.Client, which sends the API key and
// turns error answers into the sdk's sentinel errors.
package llamacpp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Name is the backend name registry entries select.
const Name = "llamacpp"

// Version is this plugin's version.
const Version = "0.1.0"

// DefaultPort is llama-server's default port.
const DefaultPort = 8080

// Backend is the llama.cpp backend. It implements Info, Resolve and Health;
// the other calls answer sdk.ErrNotImplemented.
type Backend struct {
	sdk.Unimplemented
	client *http.Client
	now    func() time.Time
}

// Option configures a Backend.
type Option func(*Backend)

// WithHTTPClient sets the HTTP client; the default is a client whose
// requests are bounded only by their context.
func WithHTTPClient(c *http.Client) Option { return func(b *Backend) { b.client = c } }

// WithClock sets the clock used to measure latency.
func WithClock(now func() time.Time) Option { return func(b *Backend) { b.now = now } }

// New returns the llama.cpp backend.
func New(opts ...Option) *Backend {
	b := &Backend{client: &http.Client{}, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Info describes the backend. It never fails.
func (*Backend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:        Name,
		Version:     Version,
		Protocols:   []int{sdk.ProtocolVersion},
		DefaultPort: DefaultPort,
		Implements:  []string{sdk.CallHealth, sdk.CallServerCommand},
	}, nil
}

// Resolve returns the entry's endpoint and model id by the registry's
// rules. With req.Live it also checks the server (see Health) and reports
// what it found in Live; it then fails only as Health fails.
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	// openai.Resolve applies the registry's rules: base_url, else an
	// http(s) host, else http://{host or localhost}:{port or 8080}/v1; the
	// model id is served_model_id, else the entry's name.
	res := openai.Resolve(req.Entry, DefaultPort)
	if !req.Live {
		return res, nil
	}
	h, err := b.Health(ctx, sdk.HealthRequest{
		Endpoint: res.Endpoint,
		Models:   []string{res.InternalModelID},
		APIKey:   req.APIKey,
	})
	if err != nil {
		return sdk.Resolution{}, fmt.Errorf("entry %q: live check: %w", req.Entry.Name, err)
	}
	res.Live = &h
	return res, nil
}

// Health asks llama-server whether it is up (GET /health at the server
// root answers 200 {"status":"ok"}, or 503 while the model loads) and which
// of req.Models it serves (GET /v1/models). A server that cannot be
// reached, or is still loading, is reported as down, not as an error.
//
// Errors: a cancelled context (wrapped); sdk.ErrUnauthorized when the
// server refuses the API key; sdk.ErrBadResponse when it answers something
// that is not llama-server's; sdk.ErrBadRequest for an empty endpoint.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: no endpoint: %w", sdk.ErrBadRequest)
	}
	st := sdk.HealthStatus{Models: openai.Statuses(req.Models, nil, nil)}
	// /health lives at the server root, the endpoint without its /v1.
	r, err := b.api(openai.ServerRoot(req.Endpoint), req.APIKey).Do(ctx, http.MethodGet, "/health", nil)
	if r != nil {
		st.LatencyMS = r.Latency.Milliseconds()
	}
	var apiErr *openai.APIError
	switch {
	case err == nil:
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusServiceUnavailable:
		st.Notes = append(st.Notes, "server is loading its model: "+apiErr.Message)
		return st, nil
	case errors.Is(err, sdk.ErrUnauthorized), ctx.Err() != nil:
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: %w", err)
	case apiErr != nil:
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: %s answered HTTP %d (%s), not llama-server: %w",
			apiErr.URL, apiErr.StatusCode, apiErr.Message, sdk.ErrBadResponse)
	case errors.Is(err, sdk.ErrUnavailable):
		st.Notes = append(st.Notes, err.Error())
		return st, nil
	default:
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: %w", err)
	}
	var h struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &h); err != nil || h.Status != "ok" {
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: GET /health: want {\"status\":\"ok\"}, got %q: %w",
			openai.Excerpt(string(r.Body)), sdk.ErrBadResponse)
	}
	st.Up = true

	list, _, err := b.api(req.Endpoint, req.APIKey).Models(ctx)
	if err != nil {
		return sdk.HealthStatus{}, fmt.Errorf("llamacpp: health: listing models: %w", err)
	}
	st.Served = list.IDs()
	st.Models = openai.Statuses(req.Models, st.Served, nil)
	return st, nil
}

// api returns an OpenAI-compatible client for base that sends key, when
// set, as "Authorization: Bearer KEY" and never shows it in errors.
func (b *Backend) api(base string, key sdk.Secret) *openai.Client {
	return openai.NewClient(base, openai.WithHTTPClient(b.client), openai.WithClock(b.now), openai.WithSecret(key))
}
