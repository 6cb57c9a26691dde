// Package ollama is the bundled backend for Ollama: endpoint resolution (its
// OpenAI-compatible /v1), health (/api/version, /api/tags with ":latest"
// defaulting), model listing with /api/show capabilities, a vision probe
// that asks /api/show before /api/chat, and Artifacts, which maps an
// "ollama:/name:tag" entry to its local manifest and blobs so the host can
// hash and lock them.
//
// The package is importable, so an embedder can register New() as an
// in-process backend; cmd/imageworks-backend-ollama serves it as a plugin.
package ollama

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

const (
	// Name is the backend name entries select.
	Name = "ollama"
	// Version is this backend's version.
	Version = "1.0.0"
	// DefaultPort is Ollama's default port.
	DefaultPort = 11434
	// ProbeVersion identifies the probe method in results.
	ProbeVersion = "iwl-probe/1"
)

// Backend is the Ollama backend. Its zero value is not usable; call New.
type Backend struct {
	hc      *http.Client
	now     func() time.Time
	getenv  func(string) string
	homeDir func() (string, error)
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

// WithGetenv sets how environment variables (OLLAMA_HOST, OLLAMA_MODELS)
// are read
// (default os.Getenv).
func WithGetenv(getenv func(string) string) Option {
	return func(b *Backend) {
		if getenv != nil {
			b.getenv = getenv
		}
	}
}

// WithHomeDir sets how the home directory is found for the default model
// store ~/.ollama/models (default os.UserHomeDir).
func WithHomeDir(home func() (string, error)) Option {
	return func(b *Backend) {
		if home != nil {
			b.homeDir = home
		}
	}
}

// New returns the Ollama backend.
func New(opts ...Option) *Backend {
	b := &Backend{hc: &http.Client{}, now: time.Now, getenv: os.Getenv, homeDir: os.UserHomeDir}
	for _, o := range opts {
		o(b)
	}
	return b
}

var _ sdk.Backend = (*Backend)(nil)

// Description is the one line Info gives, shown by `imageworks-loader plugins`.
const Description = "Ollama (ollama serve): its OpenAI-compatible /v1 and its model store"

// Info describes the backend, with its Description. It never fails.
func (b *Backend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:        Name,
		Version:     Version,
		Protocols:   []int{sdk.ProtocolVersion},
		DefaultPort: DefaultPort,
		Description: Description,
	}, nil
}

// Resolve applies the endpoint rules with port 11434 (Ollama's
// OpenAI-compatible /v1), except that an entry without base_url, host and
// port goes to OLLAMA_HOST when it is set (see HostURL), as the ollama CLI
// does; and the model id rule: served_model_id, else the name:tag of an
// "ollama:" model_path, else the logical name. With req.Live
// it also runs Health for that model and stores the result in Live; it
// fails only when that check fails with an error (cancellation), not when
// the server is down.
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := openai.Resolve(req.Entry, DefaultPort)
	if ep, notes := b.endpoint(req.Entry.Config); notes != nil {
		res.Endpoint = ep
		res.Notes = append(notes, slices.DeleteFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, "endpoint from") })...)
	}
	if strings.TrimSpace(req.Entry.ServedModelID) == "" {
		if ref, ok := modelPathRef(req.Entry.Config.ModelPath); ok {
			res.InternalModelID = ref
			res.Notes = append(res.Notes, "model id from model_path "+req.Entry.Config.ModelPath)
		}
	}
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

// client returns a client for Ollama's native API at the server root. Ollama
// has no auth of its own; a key, when configured (a proxy in front), is
// sent.
func (b *Backend) client(endpoint string, key sdk.Secret) *openai.Client {
	return openai.NewClient(openai.ServerRoot(endpoint), openai.WithHTTPClient(b.hc), openai.WithClock(b.now), openai.WithSecret(key))
}
