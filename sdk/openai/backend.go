package openai

import (
	"context"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// ProbeVersion identifies the probe method of Backend.ProbeVision in its
// results.
const ProbeVersion = "iwl-probe/1"

// Backend is a complete backend for a server that speaks the
// OpenAI-compatible API: Info, Resolve by the registry's endpoint rules,
// Health, ListModels from GET /v1/models and ProbeVision with a chat
// question about an image. Embed a *Backend made by NewBackend in a
// plugin's own type, or serve it as it is; options say what sets one
// server apart from another. It does not implement Artifacts.
//
// A Backend is configured once, by NewBackend's options, and is then safe
// for concurrent use.
type Backend struct {
	name, version string
	port          int
	healthRoute   string
	identity      *Identity
	single        *singleModel
	clientOpts    []Option
}

// Identity is how a Backend recognises the one server kind whose own
// answers it trusts (vLLM): a route at the server root answering
// {"version": "..."} that other OpenAI-compatible servers do not have.
type Identity struct {
	// Kind names the server in notes ("vLLM").
	Kind string
	// VersionRoute is the GET route at the server root answering
	// {"version": "..."} ("/version").
	VersionRoute string
	// BlindImageError, when set, is part of the message with which a
	// server of this kind answers 400 to an image sent to a model that
	// cannot see ("is not a multimodal model"). Then, on a server
	// identified as this kind, a 200 to an image proves sight.
	BlindImageError string
}

// singleModel says where a single-model server names its model.
type singleModel struct{ route, field string }

// BackendOption configures a Backend at construction.
type BackendOption func(*Backend)

// WithHealthRoute makes Health ask GET route at the server root (the
// endpoint without /v1), without the API key: a 2xx answer is up, an error
// status (a 503 while loading, say) is down with a note, and a 404 means
// the server lacks the route: up and served then come from /v1/models.
// Without it Health judges by /v1/models alone.
func WithHealthRoute(route string) BackendOption {
	return func(b *Backend) { b.healthRoute = route }
}

// WithIdentity makes Health and ProbeVision recognise the server kind id
// describes: Health reports its version and says in a note whether the
// server was identified; ProbeVision trusts a 200 to an image only on an
// identified server (see Identity.BlindImageError).
func WithIdentity(id Identity) BackendOption {
	return func(b *Backend) { b.identity = &id }
}

// WithSingleModel is for a server that serves one model and answers to any
// model id (TGI, llama.cpp's server). The server names its model at the
// JSON string field of GET route at the server root (TGI: "/info",
// "model_id"); with route "" it is the only card of GET /v1/models. Health
// then reports every requested id as served, Served holding the server's
// own id, with a note saying it serves any id.
func WithSingleModel(route, field string) BackendOption {
	return func(b *Backend) { b.single = &singleModel{route: route, field: field} }
}

// WithClientOptions passes opts (WithHTTPClient, WithClock, ...) to every
// Client the backend makes.
func WithClientOptions(opts ...Option) BackendOption {
	return func(b *Backend) { b.clientOpts = append(b.clientOpts, opts...) }
}

// NewBackend returns the backend named name (the NAME of its plugin,
// imageworks-backend-NAME) at version, for a server listening on
// defaultPort when an entry gives no port.
func NewBackend(name, version string, defaultPort int, opts ...BackendOption) *Backend {
	b := &Backend{name: name, version: version, port: defaultPort}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Info describes the backend. It never fails. Implements is left for
// sdk.Serve to fill in.
func (b *Backend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:        b.name,
		Version:     b.version,
		Protocols:   []int{sdk.ProtocolVersion},
		DefaultPort: b.port,
	}, nil
}

// Resolve applies the endpoint rules on the backend's default port and the
// model id rule (see Resolve, the function). With req.Live it also runs
// Health for that model and puts the result in Live; it fails only when
// Health fails (a refused key, a cancelled context), never because the
// server is down.
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := Resolve(req.Entry, b.port)
	if !req.Live {
		return res, nil
	}
	hs, err := b.Health(ctx, sdk.HealthRequest{Endpoint: res.Endpoint, Models: []string{res.InternalModelID}, APIKey: req.APIKey})
	if err != nil {
		return sdk.Resolution{}, fmt.Errorf("live check: %w", err)
	}
	res.Live = &hs
	return res, nil
}

// ListModels lists GET /v1/models: cards sharing a root (aliases) are one
// model, the first card's id its ID; LoRA adapters are models of their own
// with Parent set (see GroupModels). Sorted by ID.
//
// Errors (the request and what went wrong: the host names the backend and
// the call) wrap sdk.ErrUnavailable
// (unreachable, timeout, 503), sdk.ErrUnauthorized (401),
// sdk.ErrBadResponse (bad JSON, 500), and sdk.ErrBadRequest for an empty
// endpoint.
func (b *Backend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return nil, fmt.Errorf("no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := CallContext(ctx, 0, DefaultListTimeout)
	defer cancel()
	list, _, err := b.client(req.Endpoint, req.APIKey).Models(ctx)
	if err != nil {
		return nil, err
	}
	return GroupModels(list.Data), nil
}

// client returns a client for base (an endpoint, or a server root) with
// the backend's client options, sending key when non-empty.
func (b *Backend) client(base string, key sdk.Secret) *Client {
	return NewClient(base, append(append([]Option(nil), b.clientOpts...), WithSecret(key))...)
}
