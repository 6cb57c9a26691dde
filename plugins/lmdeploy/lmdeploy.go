// Package lmdeploy is the bundled backend for LMDeploy's api_server
// (OpenAI-compatible): endpoint resolution, health (/health in both its
// 0.14+ JSON and older empty shapes, /v1/models), model listing, and a
// vision probe that does not trust a 200 (LMDeploy answers image questions
// for text-only models) but checks the answer against a known image. It is
// sdk/openai's Backend configured for LMDeploy.
//
// The package is importable, so an embedder can register New() as an
// in-process backend; cmd/imageworks-backend-lmdeploy serves it as a plugin.
package lmdeploy

import (
	"context"
	"net/http"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

const (
	// Name is the backend name entries select.
	Name = "lmdeploy"
	// Version is this backend's version.
	Version = "1.0.0"
	// DefaultPort is LMDeploy's default port.
	DefaultPort = 23333
	// ProbeVersion identifies the probe method in results.
	ProbeVersion = openai.ProbeVersion
)

// Backend is the LMDeploy backend. Its zero value is not usable; call New.
//
// Its calls are those of the embedded openai.Backend, configured for
// LMDeploy:
//
//   - Info: name "lmdeploy", default port 23333.
//   - Resolve: the registry's endpoint rules on port 23333; with a live
//     check it runs Health.
//   - Health: GET /health at the server root without the API key (0.14+
//     answers JSON {"status": ...}: "healthy" and "sleeping" with 200 are
//     up, the latter noted; "unhealthy" and "initializing" with 503 are
//     down; up to 0.13 a bare 200), then GET /v1/models with the key.
//     LMDeploy has no /version, so Version stays "".
//   - ListModels: GET /v1/models.
//   - ProbeVision: a chat with the image; since LMDeploy answers image
//     questions for text-only models, the answer must name what the image
//     shows (req.Expect), or the challenge image's answer decides.
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

// New returns the LMDeploy backend.
func New(opts ...Option) *Backend {
	b := &Backend{}
	for _, opt := range opts {
		opt(b)
	}
	b.Backend = openai.NewBackend(Name, Version, DefaultPort,
		openai.WithHealthRoute("/health"),
		openai.WithClientOptions(b.client...),
	)
	return b
}

// Description is the one line Info gives, shown by `imageworks-loader plugins`.
const Description = "LMDeploy's OpenAI-compatible api_server (lmdeploy serve api_server)"

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
