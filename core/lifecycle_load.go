package core

import (
	"context"
	"errors"
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
func (l *Loader) load(ctx context.Context, b sdk.Backend, ml sdk.ModelLoader, e *registry.Entry, opts LifecycleOptions) (Active, error) {
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
	if !opts.NoGPUReport {
		addGPUs(ctx, &out)
	}
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
	if lc.loader == nil {
		return nil, fmt.Errorf("backend %q runs servers; see Current: %w", backend, ErrNoLifecycle)
	}
	return l.loaded(ctx, b, lc.loader, backend, nil)
}

// ActiveModels lists every model active: the server on every port that
// has a state file, by port (see CurrentServers), then the models the
// servers of every model-loading backend (Ollama) the registry's entries
// name have loaded, by backend, endpoint and id (see Loaded). A backend
// that cannot be asked, or a server that does not answer, is left out and
// told to opts.Warn; with no Warn it is the error. With backend set, only
// that backend's models are listed, and its failures are the error. Each
// model carries the GPUs' memory.
func (l *Loader) ActiveModels(ctx context.Context, backend string, opts LifecycleOptions) ([]Active, error) {
	all, err := servers(ctx, l.withState(opts))
	if err != nil {
		return nil, err
	}
	out := []Active{}
	for _, a := range all {
		if backend == "" || a.Backend == backend {
			out = append(out, a)
		}
	}
	backends := []string{backend}
	if backend == "" {
		backends = nil
		for _, e := range l.reg.Entries(ctx) {
			if !slices.Contains(backends, e.Backend()) {
				backends = append(backends, e.Backend())
			}
		}
		slices.Sort(backends)
	}
	skip := func(err error) error {
		if opts.Warn == nil || backend != "" {
			return err
		}
		opts.Warn(err.Error() + "; its models are not listed")
		return nil
	}
	for _, name := range backends {
		loaded, err := l.loadedBy(ctx, name, skip)
		if err != nil {
			if err := skip(err); err != nil {
				return nil, err
			}
		}
		out = append(out, loaded...)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	addGPUsAll(ctx, out)
	return out, nil
}

// loadedBy is what the servers of backend's entries have loaded, or none
// when backend runs servers (its models are in the state file).
func (l *Loader) loadedBy(ctx context.Context, backend string, skip func(error) error) ([]Active, error) {
	b, err := l.backend(ctx, backend)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", backend, err)
	}
	lc, err := lifecycleOf(ctx, b, backend)
	if errors.Is(err, ErrNoLifecycle) || (err == nil && lc.loader == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", backend, err)
	}
	return l.loaded(ctx, b, lc.loader, backend, skip)
}

// loaded lists what the servers of backend's entries have loaded. A server
// that does not answer is passed to skip, which returns the error to end
// with or nil to go on; nil skip ends with it.
func (l *Loader) loaded(ctx context.Context, b sdk.Backend, ml sdk.ModelLoader, backend string, skip func(error) error) ([]Active, error) {
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
		s.names[strings.ToLower(res.InternalModelID)] = e.Name()
	}
	slices.SortFunc(servers, func(a, b *server) int { return strings.Compare(a.endpoint, b.endpoint) })
	out := []Active{}
	for _, s := range servers {
		models, err := ml.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: s.endpoint, APIKey: s.key})
		if err != nil {
			err = fmt.Errorf("listing the models %s has loaded%s: %w", backend, atServer(err, sdk.RedactURL(s.endpoint)), err)
			if skip == nil || ctx.Err() != nil {
				return nil, err
			}
			if err := skip(err); err != nil {
				return nil, err
			}
			continue
		}
		for _, m := range models {
			out = append(out, Active{LogicalName: loadedName(s.names, m.ID), ServedModelID: m.ID, Backend: backend, Port: portOf(s.endpoint), Endpoint: s.endpoint, VRAMBytes: m.VRAMBytes})
		}
	}
	return out, nil
}

// loadedName is the entry a loaded model id belongs to, or "": Ollama's
// names ignore case and imply ":latest" both ways (names is keyed by the
// lower-cased served id).
func loadedName(names map[string]string, id string) string {
	id = strings.ToLower(id)
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
