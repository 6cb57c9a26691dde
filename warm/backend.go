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
	w.store(key, v) // stores a copy: v is the caller's alone
	return v, nil
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

// The optional calls and the lifecycle calls are passed on to the plugin,
// which answers ErrNotImplemented for those it lacks.
var (
	_ sdk.HealthChecker  = (*backend)(nil)
	_ sdk.ModelLister    = (*backend)(nil)
	_ sdk.VisionProber   = (*backend)(nil)
	_ sdk.ArtifactLister = (*backend)(nil)
	_ sdk.ServerRunner   = (*backend)(nil)
	_ sdk.ModelLoader    = (*backend)(nil)
)

// pass makes the call f on the plugin's backend as the interface T and
// reports its outcome to the member; a backend lacking T answers an error
// naming call and wrapping sdk.ErrNotImplemented. f is a method expression
// such as sdk.HealthChecker.Health.
func pass[T, Req, Res any](ctx context.Context, w *backend, call string, f func(T, context.Context, Req) (Res, error), req Req) (Res, error) {
	impl, ok := w.b.(T)
	if !ok {
		var zero Res
		return zero, fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented)
	}
	v, err := f(impl, ctx, req)
	return v, w.observe(err)
}

// Health implements sdk.HealthChecker.
func (w *backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return pass(ctx, w, sdk.CallHealth, sdk.HealthChecker.Health, req)
}

// ListModels implements sdk.ModelLister.
func (w *backend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	return pass(ctx, w, sdk.CallListModels, sdk.ModelLister.ListModels, req)
}

// ProbeVision implements sdk.VisionProber.
func (w *backend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return pass(ctx, w, sdk.CallProbeVision, sdk.VisionProber.ProbeVision, req)
}

// Artifacts implements sdk.ArtifactLister.
func (w *backend) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	return pass(ctx, w, sdk.CallArtifacts, sdk.ArtifactLister.Artifacts, req)
}

// ServerCommand implements sdk.ServerRunner.
func (w *backend) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	return pass(ctx, w, sdk.CallServerCommand, sdk.ServerRunner.ServerCommand, req)
}

// LoadModel implements sdk.ModelLoader.
func (w *backend) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	return pass(ctx, w, "LoadModel", sdk.ModelLoader.LoadModel, req)
}

// UnloadModel implements sdk.ModelLoader.
func (w *backend) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	_, err := pass(ctx, w, "UnloadModel", unloadModel, req)
	return err
}

// unloadModel is sdk.ModelLoader.UnloadModel with a result, for pass.
func unloadModel(l sdk.ModelLoader, ctx context.Context, req sdk.LoadModelRequest) (struct{}, error) {
	return struct{}{}, l.UnloadModel(ctx, req)
}

// LoadedModels implements sdk.ModelLoader.
func (w *backend) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return pass(ctx, w, "LoadedModels", sdk.ModelLoader.LoadedModels, req)
}
