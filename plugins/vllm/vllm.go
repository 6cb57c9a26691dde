// Package vllm is the bundled backend for vLLM's OpenAI-compatible server:
// endpoint resolution, health (/health, /version, /v1/models), model listing
// with alias and LoRA grouping, and a vision probe that relies on vLLM
// rejecting images sent to text-only models.
//
// The package is importable, so an embedder can register New() as an
// in-process backend; cmd/imageworks-backend-vllm serves it as a plugin.
package vllm

import (
	"net/http"
	"time"

	"github.com/imageworks-ai/loader/plugins/internal/backendutil"
	"github.com/imageworks-ai/loader/sdk"
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
//
// Info, Resolve (endpoint rules on port 8000; with a live check it runs
// Health) and ListModels are shared with the other OpenAI-compatible backend;
// Artifacts answers sdk.ErrNotImplemented, since the host hashes
// model_path itself.
type Backend struct {
	// Info, Resolve, ListModels and Artifacts are promoted from here; the
	// alias keeps the field unexported.
	*shared
}

// shared is the base both OpenAI-compatible backends embed.
type shared = backendutil.Base

// Option configures a Backend.
type Option func(*Backend)

// WithHTTPClient sets the HTTP client used to reach servers.
func WithHTTPClient(hc *http.Client) Option {
	return func(b *Backend) { backendutil.SetHTTPClient(b.shared, hc) }
}

// WithClock sets the clock latencies are measured with.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) { backendutil.SetClock(b.shared, now) }
}

// New returns the vLLM backend.
func New(opts ...Option) *Backend {
	b := &Backend{}
	b.shared = backendutil.NewBase(backendutil.Spec{
		Name:        Name,
		Version:     Version,
		DefaultPort: DefaultPort,
		Implements:  []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision, sdk.CallServerCommand},
	}, b.Health)
	for _, o := range opts {
		o(b)
	}
	return b
}

var _ sdk.Backend = (*Backend)(nil)
