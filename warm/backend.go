package warm

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// backend is the sdk.Backend a Pool hands out: calls go to one start of
// the plugin; a crash is reported to the member, and Resolve without a
// live check is answered from the cache.
type backend struct {
	m   *member
	b   sdk.Backend
	gen uint64
}

// observe reports a call's outcome to the member and returns err.
func (w *backend) observe(err error) error {
	switch {
	case err == nil:
		w.m.succeeded(w.gen)
	case fatal(err):
		w.m.crashed(w.gen, err)
	}
	return err
}

// Info implements sdk.Backend.
func (w *backend) Info(ctx context.Context) (sdk.Info, error) {
	v, err := w.b.Info(ctx)
	return v, w.observe(err)
}

// Resolve implements sdk.Backend. Without a live check the answer depends
// only on the request, so it is cached per request content (the whole
// entry, its name and the API key) for as long as this start of the plugin
// lives.
func (w *backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	if req.Live {
		v, err := w.b.Resolve(ctx, req)
		return v, w.observe(err)
	}
	key := cacheKey(req)
	if v, ok := w.cached(key); ok {
		return v, nil
	}
	v, err := w.b.Resolve(ctx, req)
	if err := w.observe(err); err != nil {
		return v, err
	}
	w.store(key, v)
	return clone(v), nil
}

// cacheKey identifies a resolve request by its content.
func cacheKey(req sdk.ResolveRequest) string {
	var b strings.Builder
	b.Grow(len(req.Entry.Name) + len(req.Entry.Raw) + len(req.APIKey) + 2)
	b.WriteString(req.Entry.Name)
	b.WriteByte(0)
	b.WriteString(string(req.APIKey))
	b.WriteByte(0)
	b.Write(req.Entry.Raw)
	return b.String()
}

func (w *backend) cached(key string) (sdk.Resolution, bool) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.m.gen != w.gen {
		return sdk.Resolution{}, false
	}
	v, ok := w.m.cache[key]
	if !ok {
		return sdk.Resolution{}, false
	}
	return clone(v), true
}

func (w *backend) store(key string, v sdk.Resolution) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	if w.m.gen != w.gen || w.m.b == nil {
		return // the plugin was restarted or dropped meanwhile
	}
	if w.m.cache == nil || len(w.m.cache) >= maxCached {
		w.m.cache = map[string]sdk.Resolution{}
	}
	w.m.cache[key] = clone(v)
}

// clone copies the slices of a resolution so that callers never share them.
func clone(v sdk.Resolution) sdk.Resolution {
	v.Notes = slices.Clone(v.Notes)
	return v
}

// Health implements sdk.HealthChecker for plugins that answer it.
func (w *backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	impl, ok := w.b.(sdk.HealthChecker)
	if !ok {
		return sdk.HealthStatus{}, fmt.Errorf("%s: %w", sdk.CallHealth, sdk.ErrNotImplemented)
	}
	v, err := impl.Health(ctx, req)
	return v, w.observe(err)
}

// ListModels implements sdk.ModelLister for plugins that answer it.
func (w *backend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	impl, ok := w.b.(sdk.ModelLister)
	if !ok {
		return nil, fmt.Errorf("%s: %w", sdk.CallListModels, sdk.ErrNotImplemented)
	}
	v, err := impl.ListModels(ctx, req)
	return v, w.observe(err)
}

// ProbeVision implements sdk.VisionProber for plugins that answer it.
func (w *backend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	impl, ok := w.b.(sdk.VisionProber)
	if !ok {
		return sdk.ProbeResult{}, fmt.Errorf("%s: %w", sdk.CallProbeVision, sdk.ErrNotImplemented)
	}
	v, err := impl.ProbeVision(ctx, req)
	return v, w.observe(err)
}

// Artifacts implements sdk.ArtifactLister for plugins that answer it.
func (w *backend) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	impl, ok := w.b.(sdk.ArtifactLister)
	if !ok {
		return sdk.ArtifactSet{}, fmt.Errorf("%s: %w", sdk.CallArtifacts, sdk.ErrNotImplemented)
	}
	v, err := impl.Artifacts(ctx, req)
	return v, w.observe(err)
}
