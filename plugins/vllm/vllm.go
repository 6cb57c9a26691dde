// Package vllm is the bundled backend for vLLM's OpenAI-compatible server:
// endpoint resolution, health (/health, /version, /v1/models), model listing
// with alias and LoRA grouping, and a vision probe that relies on vLLM
// rejecting images sent to text-only models.
//
// The package is importable, so an embedder can register New() as an
// in-process backend; cmd/imageworks-backend-vllm serves it as a plugin.
package vllm

import (
	"context"
	"net/http"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

const (
	// Name is the backend name entries select.
	Name = "vllm"
	// Version is this backend's version.
	Version = "1.0.0"
	// DefaultPort is vLLM's default port.
	DefaultPort = 8000
	// ProbeVersion identifies the probe method in results.
	ProbeVersion = "iwl-probe/1"
)

// Backend is the vLLM backend. Its zero value is not usable; call New.
type Backend struct {
	sdk.Unimplemented // Artifacts: the host hashes model_path itself

	hc  *http.Client
	now func() time.Time
}

// Option configures a Backend.
type Option func(*Backend)

// WithHTTPClient sets the HTTP client used to reach servers.
func WithHTTPClient(hc *http.Client) Option {
	return func(b *Backend) {
		if hc != nil {
			b.hc = hc
		}
	}
}

// WithClock sets the clock latencies are measured with.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) {
		if now != nil {
			b.now = now
		}
	}
}

// New returns the vLLM backend.
func New(opts ...Option) *Backend {
	b := &Backend{hc: &http.Client{}, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b
}

var _ sdk.Backend = (*Backend)(nil)

// Info describes the backend. It never fails.
func (b *Backend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:        Name,
		Version:     Version,
		Protocols:   []int{sdk.ProtocolVersion},
		DefaultPort: DefaultPort,
		Implements:  []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision},
	}, nil
}

// Resolve applies the endpoint rules with port 8000 and the model id rule
// (served_model_id, else the logical name). With req.Live it also runs
// Health for that model and stores the result in Live; it fails only when
// that check fails with an error (authentication, cancellation), not when
// the server is down.
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := openai.Resolve(req.Entry, DefaultPort)
	if !req.Live {
		return res, nil
	}
	hs, err := b.Health(ctx, sdk.HealthRequest{Endpoint: res.Endpoint, Models: []string{res.InternalModelID}, APIKey: req.APIKey})
	if err != nil {
		return sdk.Resolution{}, err
	}
	res.Live = &hs
	return res, nil
}

func (b *Backend) client(base string, key sdk.Secret) *openai.Client {
	return openai.NewClient(base, openai.WithHTTPClient(b.hc), openai.WithClock(b.now), openai.WithSecret(key))
}
