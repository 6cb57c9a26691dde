package core

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// The lifecycle of backends that load models on a server that runs by
// itself (Ollama).

// load loads entry's model on its server and keeps it loaded.
func (l *Loader) load(ctx context.Context, b sdk.Backend, ml sdk.ModelLoader, e *registry.Entry) (Active, error) {
	entry, backend := l.sdkEntry(e), e.Backend()
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: entry})
	if err != nil {
		return Active{}, err
	}
	m, err := ml.LoadModel(ctx, sdk.LoadModelRequest{Entry: entry, Endpoint: res.Endpoint, APIKey: l.apiKey(e)})
	if err != nil {
		return Active{}, fmt.Errorf("activating %q with backend %q: %w", entry.Name, backend, err)
	}
	out := Active{LogicalName: entry.Name, ServedModelID: m.ID, Backend: backend, Port: portOf(res.Endpoint), Endpoint: res.Endpoint, VRAMBytes: m.VRAMBytes}
	addGPUs(ctx, &out)
	return out, nil
}

// unload unloads entry's model from its server.
func (l *Loader) unload(ctx context.Context, b sdk.Backend, ml sdk.ModelLoader, e *registry.Entry) (*Active, error) {
	entry, backend := l.sdkEntry(e), e.Backend()
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: entry})
	if err != nil {
		return nil, err
	}
	if err := ml.UnloadModel(ctx, sdk.LoadModelRequest{Entry: entry, Endpoint: res.Endpoint, APIKey: l.apiKey(e)}); err != nil {
		return nil, fmt.Errorf("deactivating %q with backend %q: %w", entry.Name, backend, err)
	}
	return &Active{LogicalName: entry.Name, ServedModelID: res.InternalModelID, Backend: backend, Port: portOf(res.Endpoint), Endpoint: res.Endpoint}, nil
}

// Loaded lists the models the servers of backend's entries have loaded
// (Ollama's /api/ps), one Active per loaded model, by endpoint then id. A
// loaded model that no entry names has an empty LogicalName.
func (l *Loader) Loaded(ctx context.Context, backend string) ([]Active, error) {
	b, err := l.backend(ctx, backend)
	if err != nil {
		return nil, err
	}
	lc, err := lifecycleOf(ctx, b, backend)
	if err != nil {
		return nil, err
	}
	ml := lc.loader
	if ml == nil {
		return nil, fmt.Errorf("backend %q runs servers; see Current: %w", backend, ErrNoLifecycle)
	}
	type server struct {
		endpoint string
		key      sdk.Secret
		names    map[string]string // served id → logical name
	}
	var servers []*server
	byEndpoint := map[string]*server{}
	for _, e := range l.reg.Entries(ctx) {
		if e.Backend() != backend {
			continue
		}
		entry := l.sdkEntry(e)
		res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: entry})
		if err != nil {
			return nil, err
		}
		s := byEndpoint[res.Endpoint]
		if s == nil {
			s = &server{endpoint: res.Endpoint, key: l.apiKey(e), names: map[string]string{}}
			byEndpoint[res.Endpoint] = s
			servers = append(servers, s)
		}
		s.names[res.InternalModelID] = e.Name()
	}
	slices.SortFunc(servers, func(a, b *server) int { return strings.Compare(a.endpoint, b.endpoint) })
	out := []Active{}
	for _, s := range servers {
		models, err := ml.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: s.endpoint, APIKey: s.key})
		if err != nil {
			return nil, fmt.Errorf("listing the models %s has loaded%s: %w", backend, atServer(err, sdk.RedactURL(s.endpoint)), err)
		}
		for _, m := range models {
			out = append(out, Active{LogicalName: loadedName(s.names, m.ID), ServedModelID: m.ID, Backend: backend, Port: portOf(s.endpoint), Endpoint: s.endpoint, VRAMBytes: m.VRAMBytes})
		}
	}
	return out, nil
}

// loadedName is the entry a loaded model id belongs to, ":latest" implied
// both ways, or "".
func loadedName(names map[string]string, id string) string {
	for _, cand := range []string{id, strings.TrimSuffix(id, ":latest"), id + ":latest"} {
		if n, ok := names[cand]; ok {
			return n
		}
	}
	return ""
}

// portOf is the port of an http(s) URL, with the scheme's default.
func portOf(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
