package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// errCallDeadline is the cause of a call's context when the host's call
// deadline expires.
var errCallDeadline = errors.New("plugin call deadline")

// exitWait is how long a failed call waits for the plugin process to be
// reaped before telling a crash from a lost connection.
const exitWait = time.Second

// pluginBackend is the host.Remote the Host hands out for a plugin: each
// call gets a deadline, and crashes and timeouts become *PluginError.
type pluginBackend struct {
	h    *Host
	inst *instance
}

// call runs f with the call deadline and classifies its error: the
// plugin's own errors and the caller's cancellation come back as they are;
// a crash, a lost connection or the host's deadline become *PluginError
// (and a plugin that missed the deadline is killed).
func call[T any](ctx context.Context, b *pluginBackend, name string, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
	var zero T
	i := b.inst
	if err := i.refused(); err != nil {
		return zero, err
	}
	if i.dead() {
		return zero, i.pluginError(i.exitError("before " + name))
	}
	ours := time.Now().Add(timeout)
	cctx, cancel := context.WithDeadlineCause(ctx, ours, errCallDeadline)
	defer cancel()
	v, err := f(cctx)
	// The first call went out beside the start's Info: no result is used
	// before the plugin has been checked.
	if werr := i.wait(ctx); werr != nil {
		if ctx.Err() != nil && err != nil {
			return zero, err
		}
		return zero, werr
	}
	if err == nil {
		return v, nil
	}
	switch {
	case ctx.Err() != nil:
		return zero, err
	case hostDeadline(ctx, cctx, ours, errCallDeadline, err):
		if i.runner != nil {
			i.runner.kill(killCallTimeout)
		}
		return zero, i.pluginError(fmt.Errorf("%w: %s did not answer within %s; the plugin was stopped", ErrPluginTimeout, name, timeout))
	case errors.Is(err, host.ErrTransport):
		if i.runner != nil && !i.runner.waitExit(exitWait) {
			i.runner.kill(killCallTimeout)
		}
		return zero, i.pluginError(i.exitError("during " + name))
	}
	return zero, err
}

// hostDeadline reports whether err, from a call made with cctx (derived
// from the caller's ctx with the host's deadline ours and cause), is the
// host's deadline expiring rather than the caller's. gRPC may report a
// deadline a moment before the context's own timer fires, so when the cause
// is not set yet, whichever deadline is sooner decides.
func hostDeadline(ctx, cctx context.Context, ours time.Time, cause, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if context.Cause(cctx) == cause {
		return true
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	d, ok := ctx.Deadline()
	return !ok || d.After(ours)
}

// Every call's answer and error pass through scrubbed (scrub.go): the
// request's key and endpoint credentials never come back from a plugin.

// Info implements sdk.Backend.
func (b *pluginBackend) Info(ctx context.Context) (sdk.Info, error) {
	return call(ctx, b, "Info", b.h.callTimeout, b.inst.backend.Info)
}

// Resolve implements sdk.Backend.
func (b *pluginBackend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res, err := call(ctx, b, "Resolve", b.h.callTimeout, func(ctx context.Context) (sdk.Resolution, error) {
		return b.inst.backend.Resolve(ctx, req)
	})
	_, err = scrubbed(callSecrets(req.APIKey, req.Entry.Config.BaseURL), struct{}{}, err)
	return res, err
}

// Health implements sdk.Backend.
func (b *pluginBackend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	v, err := call(ctx, b, "Health", b.h.callTimeout, func(ctx context.Context) (sdk.HealthStatus, error) {
		return b.inst.backend.Health(ctx, req)
	})
	return scrubbed(callSecrets(req.APIKey, req.Endpoint), v, err)
}

// ListModels implements sdk.Backend.
func (b *pluginBackend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	v, err := call(ctx, b, "ListModels", b.h.callTimeout, func(ctx context.Context) ([]sdk.ServedModel, error) {
		return b.inst.backend.ListModels(ctx, req)
	})
	return scrubbed(callSecrets(req.APIKey, req.Endpoint), v, err)
}

// ProbeVision implements sdk.Backend. Its deadline is the request's own
// Timeout plus a few seconds when that is longer than the call timeout.
func (b *pluginBackend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	v, err := call(ctx, b, "ProbeVision", probeDeadline(b.h.callTimeout, req.Timeout), func(ctx context.Context) (sdk.ProbeResult, error) {
		return b.inst.backend.ProbeVision(ctx, req)
	})
	return scrubbed(callSecrets(req.APIKey, req.Endpoint, req.Entry.Config.BaseURL), v, err)
}

// Artifacts implements sdk.Backend.
func (b *pluginBackend) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	v, err := call(ctx, b, "Artifacts", b.h.callTimeout, func(ctx context.Context) (sdk.ArtifactSet, error) {
		return b.inst.backend.Artifacts(ctx, req)
	})
	_, err = scrubbed(callSecrets("", req.Entry.Config.BaseURL), struct{}{}, err)
	return v, err
}

// probeDeadline is the deadline of a ProbeVision call.
func probeDeadline(callTimeout, reqTimeout time.Duration) time.Duration {
	want := defaultProbeTimeout
	if reqTimeout > 0 {
		want = reqTimeout + probeGrace
	}
	return max(callTimeout, want)
}
