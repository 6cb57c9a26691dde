// Package llamacpp is an imageworks backend for llama.cpp's server
// (llama-server). It shows a plugin built on the sdk's OpenAI-compatible
// backend, sdk/openai.Backend: everything but what sets llama-server apart
// comes from there.
package llamacpp

import (
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Name is the backend name registry entries select.
const Name = "llamacpp"

// Version is this plugin's version.
const Version = "0.2.0"

// DefaultPort is llama-server's default port.
const DefaultPort = 8080

// Backend is the llama.cpp backend: openai.Backend configured for
// llama-server.
//
//   - Resolve: the registry's endpoint rules on port 8080.
//   - Health: GET /health at the server root answers 200 {"status":"ok"}
//     when ready and 503 while the model loads (down, with a note); then
//     GET /v1/models. llama-server serves one model under any requested
//     id, named by the single card of /v1/models: every requested id is
//     served, and Served holds the server's own id.
//   - ListModels: GET /v1/models.
//   - ProbeVision: a chat with the image; llama-server answers image
//     questions for any model, so the challenge image decides.
type Backend struct {
	*openai.Backend
}

// New returns the llama.cpp backend. opts (openai.WithHTTPClient,
// openai.WithClock, ...) configure the HTTP clients it makes.
func New(opts ...openai.Option) *Backend {
	return &Backend{openai.NewBackend(Name, Version, DefaultPort,
		openai.WithHealthRoute("/health"),
		openai.WithSingleModel("", ""),
		openai.WithClientOptions(opts...),
	)}
}

var _ sdk.HealthChecker = (*Backend)(nil)
