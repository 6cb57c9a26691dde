package core

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/imageworks-ai/loader/sdk"
)

// EndpointHealth is one distinct backend endpoint of the registry and what
// a health check found there.
type EndpointHealth struct {
	Backend  string `json:"backend"`
	Endpoint string `json:"endpoint"`
	Up       bool   `json:"up"`
	Version  string `json:"version"`
	// Served and NotServed are the registered entries (logical names)
	// whose model the server does and does not serve, sorted.
	Served    []string `json:"served"`
	NotServed []string `json:"not_served"`
	LatencyMS int64    `json:"latency_ms"`
	Notes     []string `json:"notes,omitempty"`
	// Error is why the endpoint could not be checked, or "".
	Error string `json:"error,omitempty"`
	// Err is the error Error shows, nil when none, for errors.Is and
	// errors.As: a plugin that could not be used (see
	// pluginhost.IsPluginFailure) is a plugin problem, not a server down.
	Err error `json:"-"`
}

// endpointGroup collects the entries that share one backend endpoint.
type endpointGroup struct {
	backend, endpoint string
	apiKey            sdk.Secret
	names, ids        []string
}

// Health checks every distinct endpoint of the registry's non-deprecated
// entries, concurrently, and reports them sorted by backend and endpoint.
// A backend that cannot be reached is reported in its rows, not as an
// error; the error is non-nil only when ctx ends.
func (l *Loader) Health(ctx context.Context) ([]EndpointHealth, error) {
	groups := map[string]*endpointGroup{}
	var unresolved []EndpointHealth
	for _, e := range l.reg.Entries(ctx) {
		if e.Deprecated() {
			continue
		}
		sel, err := l.resolve(ctx, e, false)
		if err != nil {
			unresolved = append(unresolved, EndpointHealth{Backend: e.Backend(), Served: []string{}, NotServed: []string{e.Name()}, Error: err.Error(), Err: err})
			continue
		}
		key := e.Backend() + "\x00" + sel.Endpoint
		g := groups[key]
		if g == nil {
			g = &endpointGroup{backend: e.Backend(), endpoint: sel.Endpoint}
			groups[key] = g
		}
		if g.apiKey == "" {
			g.apiKey = l.apiKey(e)
		}
		g.names = append(g.names, e.Name())
		g.ids = append(g.ids, sel.InternalModelID)
	}
	out := make([]EndpointHealth, 0, len(groups)+len(unresolved))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for _, g := range groups {
		wg.Add(1)
		go func(g *endpointGroup) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			row := l.checkEndpoint(ctx, g)
			mu.Lock()
			out = append(out, row)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out = append(out, unresolved...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Backend != out[j].Backend {
			return out[i].Backend < out[j].Backend
		}
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return strings.Join(out[i].NotServed, ",") < strings.Join(out[j].NotServed, ",")
	})
	return out, nil
}

// checkEndpoint asks one endpoint's backend for its health.
func (l *Loader) checkEndpoint(ctx context.Context, g *endpointGroup) EndpointHealth {
	row := EndpointHealth{Backend: g.backend, Endpoint: g.endpoint, Served: []string{}, NotServed: []string{}}
	b, err := l.backend(ctx, g.backend)
	if err == nil {
		var st sdk.HealthStatus
		st, err = callHealth(ctx, b, g.backend, sdk.HealthRequest{Endpoint: g.endpoint, Models: g.ids, APIKey: g.apiKey})
		if err == nil {
			row.Up, row.Version, row.LatencyMS, row.Notes = st.Up, st.Version, st.LatencyMS, st.Notes
			served := make(map[string]bool, len(st.Models))
			for _, m := range st.Models {
				served[m.ID] = served[m.ID] || m.Served
			}
			for i, name := range g.names {
				if served[g.ids[i]] {
					row.Served = append(row.Served, name)
				} else {
					row.NotServed = append(row.NotServed, name)
				}
			}
		}
	}
	if err != nil {
		row.Error, row.Err = err.Error(), err
		row.NotServed = append(row.NotServed, g.names...)
	}
	sort.Strings(row.Served)
	sort.Strings(row.NotServed)
	return row
}

// ImportOptions refine Import.
type ImportOptions struct {
	// Endpoint is the server's base URL; empty means the backend's default
	// on localhost.
	Endpoint string
	// DryRun reports what would be added without writing.
	DryRun bool
	// APIKey is sent to the server, when it needs one. It never prints.
	APIKey sdk.Secret
	// APIKeyEnv names the environment variable that holds APIKey; it is
	// recorded as backend_config.api_key_env of every imported entry, so
	// they reach the server later. The key itself is never stored.
	APIKeyEnv string
}

// Imported is one entry Import added (or would add).
type Imported struct {
	Name          string `json:"name"`
	Backend       string `json:"backend"`
	ServedModelID string `json:"served_model_id"`
	Endpoint      string `json:"endpoint"`
	// Record is the JSON record written to the discovered layer.
	Record json.RawMessage `json:"record"`
}

// Import adds to the discovered layer an entry for every model the server
// serves that the registry lacks. A served model is already there when an
// entry of the same backend has its id or one of its aliases (the backend
// says which ids name the same model) as served_model_id or name, so a
// second run adds nothing. Records carry the backend's model_path and
// opts.APIKeyEnv, never the key. Errors come from the backend (ListModels)
// or the save.
func (l *Loader) Import(ctx context.Context, backend string, opts ImportOptions) ([]Imported, error) {
	b, err := l.backend(ctx, backend)
	if err != nil {
		return nil, err
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "import", Backend: backend}})
		if err != nil {
			return nil, fmt.Errorf("default endpoint of backend %q: %w", backend, err)
		}
		endpoint = res.Endpoint
	}
	endpoint = importEndpoint(endpoint)
	models, err := callListModels(ctx, b, backend, sdk.ListModelsRequest{Endpoint: endpoint, APIKey: opts.APIKey})
	if err != nil {
		return nil, fmt.Errorf("listing models of %s at %s: %w", backend, endpoint, err)
	}
	// An entry of this backend whose served id (or name) is the model's id
	// or one of its aliases already covers it; the backend says which ids
	// are the same model (Ollama: llava is llava:latest).
	known := map[string]bool{}
	names := map[string]bool{}
	for _, e := range l.reg.Entries(ctx) {
		names[e.Name()] = true
		if e.Backend() == backend {
			known[e.ServedModelID()] = true
			known[e.Name()] = true
		}
	}
	sort.Slice(models, func(i, j int) bool { return models[i].ID < models[j].ID })
	isKnown := func(m sdk.ServedModel) bool {
		return known[m.ID] || slices.ContainsFunc(m.Aliases, func(a string) bool { return known[a] })
	}
	// First every name of a model already registered, so that the same
	// model listed again under an alias is never new, whatever the order.
	for _, m := range models {
		if isKnown(m) {
			known[m.ID] = true
			for _, a := range m.Aliases {
				known[a] = true
			}
		}
	}
	var out []Imported
	for _, m := range models {
		if m.ID == "" || isKnown(m) {
			continue
		}
		name := m.ID
		for i := 2; names[name]; i++ {
			name = fmt.Sprintf("%s (%d)", m.ID, i)
		}
		ir := importRecord(name, backend, endpoint, m)
		ir.BackendConfig.APIKeyEnv = opts.APIKeyEnv
		rec, err := json.Marshal(ir)
		if err != nil {
			return nil, fmt.Errorf("encoding imported entry %q: %w", name, err)
		}
		if !opts.DryRun {
			if err := l.reg.Add(ctx, rec); err != nil {
				return nil, err
			}
		}
		names[name] = true
		known[m.ID] = true
		for _, a := range m.Aliases {
			known[a] = true // a later listing of the same model by an alias is not new
		}
		out = append(out, Imported{Name: name, Backend: backend, ServedModelID: m.ID, Endpoint: endpoint, Record: rec})
	}
	if len(out) > 0 && !opts.DryRun {
		if err := l.reg.Save(ctx); err != nil {
			return nil, err
		}
	}
	if out == nil {
		out = []Imported{}
	}
	return out, nil
}

// importEndpoint tidies an endpoint given for import: spaces and trailing
// slashes go, and a bare server root (http://host:port) gets /v1. That is a
// rule of the whole platform, not of one backend: an endpoint is always the
// OpenAI-compatible base URL a client uses (registry-format.md, "Endpoint
// resolution"), which is what every Resolve returns and every backend is
// given.
func importEndpoint(endpoint string) string {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Host != "" && u.Path == "" && u.RawQuery == "" {
		endpoint += "/v1"
	}
	return endpoint
}

// importedEntry is the record Import writes; field order is the
// reference's.
type importedEntry struct {
	Name              string          `json:"name"`
	DisplayName       string          `json:"display_name"`
	Backend           string          `json:"backend"`
	BackendConfig     importedConfig  `json:"backend_config"`
	Capabilities      map[string]bool `json:"capabilities,omitempty"`
	Metadata          importedMeta    `json:"metadata"`
	ServedModelID     string          `json:"served_model_id"`
	Family            string          `json:"family,omitempty"`
	Quantization      string          `json:"quantization,omitempty"`
	DownloadSizeBytes int64           `json:"download_size_bytes,omitempty"`
}

type importedConfig struct {
	Port      int    `json:"port,omitempty"`
	ModelPath string `json:"model_path,omitempty"`
	Host      string `json:"host,omitempty"`
	BaseURL   string `json:"base_url,omitempty"`
	APIKeyEnv string `json:"api_key_env,omitempty"`
}

type importedMeta struct {
	RegistryLayer string `json:"registry_layer"`
	ImportedFrom  string `json:"imported_from"`
	Root          string `json:"served_root,omitempty"`
	Parent        string `json:"served_parent,omitempty"`
	ContextLength int64  `json:"context_length,omitempty"`
	Digest        string `json:"digest,omitempty"`
}

func importRecord(name, backend, endpoint string, m sdk.ServedModel) importedEntry {
	rec := importedEntry{
		Name: name, DisplayName: name, Backend: backend,
		BackendConfig: endpointConfig(endpoint),
		Capabilities:  m.Capabilities,
		Metadata: importedMeta{
			RegistryLayer: "discovered", ImportedFrom: endpoint, Root: m.Root, Parent: m.Parent,
			ContextLength: m.ContextLength, Digest: m.Digest,
		},
		ServedModelID: m.ID, Family: m.Family, Quantization: m.Quantization, DownloadSizeBytes: m.SizeBytes,
	}
	rec.BackendConfig.ModelPath = m.ModelPath
	return rec
}

// endpointConfig turns an endpoint into backend_config: host and port when
// it is the plain http://host:port/v1 form, else base_url.
func endpointConfig(endpoint string) importedConfig {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || (u.Path != "/v1" && u.Path != "") || u.RawQuery != "" {
		return importedConfig{BaseURL: endpoint}
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return importedConfig{BaseURL: endpoint}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return importedConfig{BaseURL: endpoint}
	}
	return importedConfig{Host: host, Port: port}
}
