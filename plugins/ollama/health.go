package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// tagsResponse is GET /api/tags.
type tagsResponse struct {
	Models []tagModel `json:"models"`
}

type tagModel struct {
	Name    string  `json:"name"`
	Model   string  `json:"model"`
	Size    int64   `json:"size"`
	Digest  string  `json:"digest"`
	Details details `json:"details"`
}

type details struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

// showResponse is POST /api/show. Capabilities is nil when the server does
// not report them (Ollama before 0.6.4).
type showResponse struct {
	Details      details        `json:"details"`
	ModelInfo    map[string]any `json:"model_info"`
	Capabilities []string       `json:"capabilities"`
}

func (t tagModel) name() string {
	if t.Name != "" {
		return t.Name
	}
	return t.Model
}

// Health asks GET /api/version at the server root (the endpoint without
// /v1), falling back to GET / ("Ollama is running") for servers without it,
// then GET /api/tags: a requested model is served when a listed name equals
// it with ":latest" defaulting both ways ("llava" is "llava:latest").
//
// A server that is unreachable, times out or answers an error is reported
// as Up false with a note, not as an error. Errors: an empty endpoint wraps
// sdk.ErrBadRequest; a 401 (a proxy in front) wraps sdk.ErrUnauthorized; a
// cancelled context is returned as is.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return sdk.HealthStatus{}, fmt.Errorf("no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := openai.CallContext(ctx, 0, openai.DefaultHealthTimeout)
	defer cancel()
	c := b.client(req.Endpoint, req.APIKey)
	hs := sdk.HealthStatus{Models: openai.Statuses(req.Models, nil, nil)}
	var v struct {
		Version string `json:"version"`
	}
	r, err := c.GetJSON(ctx, "/api/version", &v)
	if r != nil {
		hs.LatencyMS = r.Latency.Milliseconds()
	}
	var ae *openai.APIError
	if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound { // an old server without /api/version
		r, err = c.Do(ctx, http.MethodGet, "/", nil)
		if err == nil && !strings.Contains(string(r.Body), "Ollama is running") {
			hs.Notes = append(hs.Notes, fmt.Sprintf("GET / answered %q, not \"Ollama is running\"", openai.Excerpt(string(r.Body))))
			return hs, nil
		}
	}
	if err != nil {
		if note, down := openai.ServerDown(err); down {
			hs.Notes = append(hs.Notes, note)
			return hs, nil
		}
		return sdk.HealthStatus{}, err
	}
	hs.Up = true
	hs.Version = v.Version
	var tags tagsResponse
	if _, err := c.GetJSON(ctx, "/api/tags", &tags); err != nil {
		if note, down := openai.ServerDown(err); down {
			hs.Notes = append(hs.Notes, "listing models: "+note)
			return hs, nil
		}
		return sdk.HealthStatus{}, fmt.Errorf("listing models: %w", err)
	}
	for _, t := range tags.Models {
		if n := t.name(); n != "" {
			hs.Served = append(hs.Served, n)
		}
	}
	slices.Sort(hs.Served)
	hs.Served = slices.Compact(hs.Served)
	hs.Models = openai.Statuses(req.Models, hs.Served, canon)
	return hs, nil
}

// ollamaCapabilities are the /api/show capabilities capabilityNames maps.
func ollamaCapabilities() []string {
	return []string{"completion", "vision", "tools", "embedding", "thinking", "audio"}
}

// capabilityNames maps one of Ollama's /api/show capabilities (lower case)
// to canonical capability names ("thinking" sets both thinking and
// reasoning); nil for one it does not know.
func capabilityNames(c string) []string {
	switch c {
	case "completion":
		return []string{"text"}
	case "vision", "tools", "embedding", "audio":
		return []string{c}
	case "thinking":
		return []string{"thinking", "reasoning"}
	}
	return nil
}

// capabilities returns the canonical capability map for Ollama's list, with
// every mapped canonical key present; nil when the server gave no list.
func capabilities(list []string) map[string]bool {
	if list == nil {
		return nil
	}
	out := map[string]bool{}
	for _, c := range ollamaCapabilities() {
		for _, n := range capabilityNames(c) {
			out[n] = false
		}
	}
	for _, c := range list {
		for _, n := range capabilityNames(strings.ToLower(strings.TrimSpace(c))) {
			out[n] = true
		}
	}
	return out
}

// contextLength reads "<architecture>.context_length" from model_info.
func contextLength(info map[string]any) int64 {
	arch, _ := info["general.architecture"].(string)
	if f, ok := info[arch+".context_length"].(float64); ok && arch != "" {
		return int64(f)
	}
	for k, v := range info {
		if f, ok := v.(float64); ok && strings.HasSuffix(k, ".context_length") {
			return int64(f)
		}
	}
	return 0
}

// ListModels lists GET /api/tags and asks POST /api/show for each model's
// capabilities (completion→text, vision, tools, embedding,
// thinking→thinking and reasoning, audio) and context length; family,
// quantization, size and digest come from the tags. A model whose
// /api/show fails keeps nil Capabilities. Sorted by ID.
//
// ID is the canonical name with its tag ("llava:latest", the default host
// and namespace left out); a model tagged "latest" lists its untagged name
// as an alias ("llava"). Root is the name as the server lists it, and
// ModelPath is "ollama:/" followed by the ID.
//
// Errors wrap sdk.ErrUnavailable (unreachable, timeout, 503),
// sdk.ErrBadResponse (bad JSON, 500), sdk.ErrUnauthorized (401), and
// sdk.ErrBadRequest for an empty endpoint.
func (b *Backend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return nil, fmt.Errorf("no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := openai.CallContext(ctx, 0, openai.DefaultListTimeout)
	defer cancel()
	c := b.client(req.Endpoint, req.APIKey)
	var tags tagsResponse
	if _, err := c.GetJSON(ctx, "/api/tags", &tags); err != nil {
		return nil, err
	}
	out := make([]sdk.ServedModel, 0, len(tags.Models))
	for _, t := range tags.Models {
		name := t.name()
		if name == "" {
			continue
		}
		id, aliases := servedID(name)
		m := sdk.ServedModel{
			ID: id, Aliases: aliases, Root: name, Parent: t.Details.ParentModel, Family: t.Details.Family,
			Quantization: t.Details.QuantizationLevel, SizeBytes: t.Size, Digest: t.Digest,
			ModelPath: "ollama:/" + id,
		}
		var show showResponse
		if _, err := c.PostJSON(ctx, "/api/show", map[string]string{"model": name}, &show); err != nil {
			if ctx.Err() != nil || errors.Is(err, sdk.ErrUnauthorized) {
				return nil, fmt.Errorf("showing %q: %w", name, err)
			}
		} else {
			m.Capabilities = capabilities(show.Capabilities)
			m.ContextLength = contextLength(show.ModelInfo)
			if m.Family == "" {
				m.Family = show.Details.Family
			}
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b sdk.ServedModel) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}
