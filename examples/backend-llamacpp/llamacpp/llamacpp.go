// Package llamacpp is an imageworks backend for llama.cpp's server
// (llama-server). It resolves endpoints with the OpenAI-compatible rules on
// llama-server's default port 8080 and checks health through GET /health
// and GET /v1/models.
package llamacpp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// Name is the backend name registry entries select.
const Name = "llamacpp"

// Version is this plugin's version.
const Version = "0.1.0"

// DefaultPort is llama-server's default port.
const DefaultPort = 8080

// maxBody bounds what the plugin reads of an answer.
const maxBody = 4 << 20

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
		Implements:  []string{sdk.CallHealth},
	}, nil
}

// Resolve returns the entry's endpoint and model id by the registry's
// rules. With req.Live it also checks the server (see Health) and reports
// what it found in Live; it then fails only as Health fails.
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := sdk.Resolution{
		Endpoint:        Endpoint(req.Entry.Config),
		InternalModelID: ModelID(req.Entry),
	}
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

// Endpoint returns the OpenAI-compatible base URL of an entry's server:
// base_url (trimmed, without trailing slashes); else host when it is an
// http(s) URL (without trailing slashes); else
// http://{host or localhost}:{port or 8080}/v1.
func Endpoint(cfg sdk.BackendConfig) string {
	if u := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"); u != "" {
		return u
	}
	host := strings.TrimSpace(cfg.Host)
	if l := strings.ToLower(host); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return strings.TrimRight(host, "/")
	}
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port <= 0 {
		port = DefaultPort
	}
	return "http://" + host + ":" + strconv.Itoa(port) + "/v1"
}

// ModelID returns the id to send as "model": the entry's served_model_id,
// else its name.
func ModelID(e sdk.Entry) string {
	if id := strings.TrimSpace(e.ServedModelID); id != "" {
		return id
	}
	return e.Name
}

// serverRoot strips a final /v1 from an endpoint: llama-server's /health
// lives at the root.
func serverRoot(endpoint string) string {
	u := strings.TrimRight(strings.TrimSpace(endpoint), "/")
	return strings.TrimSuffix(u, "/v1")
}

// Health asks llama-server whether it is up (GET /health answers 200
// {"status":"ok"}, or 503 while the model loads) and which of req.Models it
// serves (GET /v1/models). A server that cannot be reached, or is still
// loading, is reported as down, not as an error.
//
// Errors: a cancelled context (wrapped); sdk.ErrUnauthorized when the
// server refuses the API key; sdk.ErrBadResponse when it answers something
// that is not llama-server's; sdk.ErrBadRequest for an unusable endpoint.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	start := b.now()
	var st sdk.HealthStatus
	status, body, err := b.get(ctx, serverRoot(req.Endpoint)+"/health", req.APIKey)
	st.LatencyMS = b.now().Sub(start).Milliseconds()
	switch {
	case err != nil && errors.Is(err, sdk.ErrUnavailable) && ctx.Err() == nil:
		st.Notes = append(st.Notes, err.Error())
		return withModels(st, req.Models, nil), nil
	case err != nil:
		return sdk.HealthStatus{}, err
	case status == http.StatusServiceUnavailable:
		st.Notes = append(st.Notes, "server is loading its model: "+errorMessage(body))
		return withModels(st, req.Models, nil), nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return sdk.HealthStatus{}, fmt.Errorf("GET /health: %s: %w", errorMessage(body), sdk.ErrUnauthorized)
	case status != http.StatusOK:
		return sdk.HealthStatus{}, fmt.Errorf("GET /health: status %d: %s: %w", status, errorMessage(body), sdk.ErrBadResponse)
	}
	var h struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &h); err != nil || h.Status != "ok" {
		return sdk.HealthStatus{}, fmt.Errorf("GET /health: want {\"status\":\"ok\"}, got %.100q: %w", body, sdk.ErrBadResponse)
	}
	st.Up = true

	served, err := b.models(ctx, req.Endpoint, req.APIKey)
	if err != nil {
		return sdk.HealthStatus{}, err
	}
	st.Served = served
	return withModels(st, req.Models, served), nil
}

// models lists the ids GET /v1/models returns, sorted.
func (b *Backend) models(ctx context.Context, endpoint string, apiKey sdk.Secret) ([]string, error) {
	status, body, err := b.get(ctx, strings.TrimRight(endpoint, "/")+"/models", apiKey)
	switch {
	case err != nil:
		return nil, err
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, fmt.Errorf("GET /v1/models: %s: %w", errorMessage(body), sdk.ErrUnauthorized)
	case status != http.StatusOK:
		return nil, fmt.Errorf("GET /v1/models: status %d: %s: %w", status, errorMessage(body), sdk.ErrBadResponse)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("GET /v1/models: %v: %w", err, sdk.ErrBadResponse)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

func withModels(st sdk.HealthStatus, want, served []string) sdk.HealthStatus {
	for _, id := range want {
		st.Models = append(st.Models, sdk.ModelStatus{ID: id, Served: slices.Contains(served, id)})
	}
	return st
}

// get sends a GET and reads the whole answer. A request that cannot be sent
// or read wraps sdk.ErrUnavailable (and the context's error when it ended).
func (b *Backend) get(ctx context.Context, url string, apiKey sdk.Secret) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("endpoint %q: %v: %w", url, err, sdk.ErrBadRequest)
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey.Reveal())
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w: %w", url, sdk.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: reading answer: %w: %w", url, sdk.ErrUnavailable, err)
	}
	return resp.StatusCode, body, nil
}

// errorMessage reads the message of an error body in any of the three
// shapes OpenAI-compatible servers use, else the body's start.
func errorMessage(body []byte) string {
	var nested struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &nested) == nil && nested.Error.Message != "" {
		return nested.Error.Message
	}
	var flat struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &flat) == nil && flat.Message != "" {
		return flat.Message
	}
	var plain struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &plain) == nil && plain.Error != "" {
		return plain.Error
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
