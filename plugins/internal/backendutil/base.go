package backendutil

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Spec is what tells one OpenAI-compatible backend from another.
type Spec struct {
	// Name is the backend name entries select.
	Name string
	// Version is the backend's own version.
	Version string
	// DefaultPort is the server's port when an entry gives none.
	DefaultPort int
	// Implements lists the optional calls the backend answers, sorted.
	Implements []string
}

// HealthFunc is a backend's own Health, which Resolve runs for a live
// check.
type HealthFunc func(context.Context, sdk.HealthRequest) (sdk.HealthStatus, error)

// Base is what the OpenAI-compatible bundled backends (vLLM, LMDeploy)
// share: their Spec, HTTP client and clock, Info, Resolve by the registry's
// endpoint rules, ListModels from GET /v1/models, and the pieces of Health
// and ProbeVision that do not depend on the server. A backend embeds a
// *Base made by NewBase and adds its own Health and ProbeVision; Artifacts
// answers sdk.ErrNotImplemented (the host hashes model_path itself).
type Base struct {
	sdk.Unimplemented

	spec   Spec
	hc     *http.Client
	now    func() time.Time
	health HealthFunc
}

// NewBase returns a Base for spec with the production HTTP client and
// clock. health is the embedding backend's Health.
func NewBase(spec Spec, health HealthFunc) *Base {
	return &Base{spec: spec, hc: &http.Client{}, now: time.Now, health: health}
}

// The helpers below are functions, not methods, so that a backend can
// embed *Base and promote only the sdk.Backend calls into its own API.

// SetHTTPClient sets the HTTP client b uses to reach servers; nil keeps the
// current one. Call it before the backend is used.
func SetHTTPClient(b *Base, hc *http.Client) {
	if hc != nil {
		b.hc = hc
	}
}

// SetClock sets the clock b measures latencies with; nil keeps the current
// one. Call it before the backend is used.
func SetClock(b *Base, now func() time.Time) {
	if now != nil {
		b.now = now
	}
}

// Info describes the backend from its Spec. It never fails.
func (b *Base) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{
		Name:        b.spec.Name,
		Version:     b.spec.Version,
		Protocols:   []int{sdk.ProtocolVersion},
		DefaultPort: b.spec.DefaultPort,
		Implements:  append([]string(nil), b.spec.Implements...),
	}, nil
}

// Resolve applies the endpoint rules with the Spec's default port and the
// model id rule (served_model_id, else the logical name). With req.Live it
// also runs the backend's Health for that model and stores the result in
// Live; it fails only when that check fails with an error
// (authentication, cancellation), not when the server is down.
func (b *Base) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := openai.Resolve(req.Entry, b.spec.DefaultPort)
	if !req.Live {
		return res, nil
	}
	hs, err := b.health(ctx, sdk.HealthRequest{Endpoint: res.Endpoint, Models: []string{res.InternalModelID}, APIKey: req.APIKey})
	if err != nil {
		return sdk.Resolution{}, err
	}
	res.Live = &hs
	return res, nil
}

// ListModels lists GET /v1/models: cards sharing a root (aliases) are one
// model, the first card's id its ID; LoRA adapters are models of their own
// with Parent set. Sorted by ID.
//
// Errors, prefixed by the backend's name, wrap sdk.ErrUnavailable
// (unreachable, timeout, 503), sdk.ErrUnauthorized (401),
// sdk.ErrBadResponse (bad JSON, 500), and sdk.ErrBadRequest for an empty
// endpoint.
func (b *Base) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return nil, fmt.Errorf("%s: listing models: no endpoint: %w", b.spec.Name, sdk.ErrBadRequest)
	}
	ctx, cancel := WithTimeout(ctx, 0, DefaultListTimeout)
	defer cancel()
	list, _, err := Client(b, req.Endpoint, req.APIKey).Models(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: listing models: %w", b.spec.Name, err)
	}
	return openai.GroupModels(list.Data), nil
}

// Client returns a client for base (an endpoint, or a server root) using
// b's HTTP client and clock, sending key when non-empty.
func Client(b *Base, base string, key sdk.Secret) *openai.Client {
	return openai.NewClient(base, openai.WithHTTPClient(b.hc), openai.WithClock(b.now), openai.WithSecret(key))
}

// ListServed ends a Health call on a server found up: it lists
// GET /v1/models with the request's key and fills hs.Served (every alias
// card) and hs.Models. A server that cannot list (down, or an error
// status) adds a note instead. Errors: a refused key wraps
// sdk.ErrUnauthorized; a cancelled context is returned as is.
func ListServed(ctx context.Context, b *Base, req sdk.HealthRequest, hs sdk.HealthStatus) (sdk.HealthStatus, error) {
	list, _, err := Client(b, req.Endpoint, req.APIKey).Models(ctx)
	if err != nil {
		if note, down := Down(err); down {
			hs.Notes = append(hs.Notes, "listing models: "+note)
			return hs, nil
		}
		return sdk.HealthStatus{}, fmt.Errorf("%s: health: listing models: %w", b.spec.Name, err)
	}
	hs.Served = list.IDs()
	hs.Models = openai.Statuses(req.Models, hs.Served, nil)
	return hs, nil
}

// ProbeTarget is what a probe sends, with the request's defaults applied.
type ProbeTarget struct {
	// Endpoint is req.Endpoint, else the entry's by the endpoint rules.
	Endpoint string
	// Model is req.ModelID, else the entry's model id.
	Model string
	// Prompt is req.Prompt, else DefaultPrompt.
	Prompt string
	// MIME is the image's type (see ImageType).
	MIME string
}

// Target applies ProbeVision's defaults to req. Errors, prefixed by
// the backend's name, wrap sdk.ErrBadRequest when the image is missing or
// is not an image.
func Target(b *Base, req sdk.ProbeRequest) (ProbeTarget, error) {
	mime, err := ImageType(req.Image, req.MIMEType)
	if err != nil {
		return ProbeTarget{}, fmt.Errorf("%s: probe: %w", b.spec.Name, err)
	}
	t := ProbeTarget{Endpoint: req.Endpoint, Model: req.ModelID, Prompt: req.Prompt, MIME: mime}
	if strings.TrimSpace(t.Endpoint) == "" {
		t.Endpoint = openai.Endpoint(req.Entry.Config, b.spec.DefaultPort)
	}
	if t.Model == "" {
		t.Model = openai.ModelID(req.Entry)
	}
	if strings.TrimSpace(t.Prompt) == "" {
		t.Prompt = DefaultPrompt
	}
	return t, nil
}
