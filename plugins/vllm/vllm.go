// Package vllm is the bundled backend for vLLM's OpenAI-compatible server:
// endpoint resolution, health (/health, /version, /v1/models), model listing
// with alias and LoRA grouping, and a vision probe that relies on vLLM
// rejecting images sent to text-only models. It is sdk/openai's Backend
// configured for vLLM, so it also judges OpenAI-compatible servers that are
// not vLLM (Ollama's /v1, llama.cpp, LM Studio, TGI) rightly: a missing
// /health or /version means "not identified as vLLM", not down, and only an
// identified vLLM's 200 to an image proves sight.
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
	ProbeVersion = openai.ProbeVersion
)

// Backend is the vLLM backend. Its zero value is not usable; call New.
//
// Its calls are those of the embedded openai.Backend, configured for vLLM:
//
//   - Info: name "vllm", default port 8000.
//   - Resolve: the registry's endpoint rules on port 8000; with a live
//     check it runs Health.
//   - Health: GET /health (200 with an empty body when up, 503 when the
//     engine is dead) and GET /version at the server root, neither with the
//     API key, then GET /v1/models with the key: every alias card counts as
//     served. A server without /health or /version is not vLLM: it is
//     judged by /v1/models alone and the notes say what was seen.
//   - ListModels: GET /v1/models, aliases (cards sharing a root) grouped
//     into one model, LoRA adapters as models of their own.
//   - ProbeVision: a chat with the image; vLLM's 400 for text-only models
//     is VisionOK false, and a 200 proves sight only on a server identified
//     as vLLM (else the challenge decides).
//
// It does not implement Artifacts: the host hashes model_path itself.
type Backend struct {
	*openai.Backend
	client []openai.Option // New's options, applied when it makes the openai.Backend
}

// Option configures a Backend. Options apply in New only.
type Option func(*Backend)

// WithHTTPClient sets the HTTP client used to reach servers.
func WithHTTPClient(hc *http.Client) Option {
	return func(b *Backend) { b.client = append(b.client, openai.WithHTTPClient(hc)) }
}

// WithClock sets the clock latencies are measured with.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) { b.client = append(b.client, openai.WithClock(now)) }
}

// New returns the vLLM backend.
func New(opts ...Option) *Backend {
	b := &Backend{}
	for _, opt := range opts {
		opt(b)
	}
	b.Backend = openai.NewBackend(Name, Version, DefaultPort,
		openai.WithHealthRoute("/health"),
		// GET /version answers {"version": "..."} on vLLM only, and vLLM
		// refuses an image sent to a text-only model with a 400
		// "<model> is not a multimodal model".
		openai.WithIdentity(openai.Identity{Kind: "vLLM", VersionRoute: "/version", BlindImageError: "is not a multimodal model"}),
		openai.WithClientOptions(b.client...),
	)
	return b
}

// Description is the one line Info gives, shown by `imageworks-loader plugins`.
const Description = "vLLM's OpenAI-compatible server (vllm serve)"

// Info describes the backend, with its Description. It never fails.
func (b *Backend) Info(ctx context.Context) (sdk.Info, error) {
	info, err := b.Backend.Info(ctx)
	info.Description = Description
	return info, err
}

var (
	_ sdk.HealthChecker = (*Backend)(nil)
	_ sdk.ModelLister   = (*Backend)(nil)
	_ sdk.VisionProber  = (*Backend)(nil)
)
