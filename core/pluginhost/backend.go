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

// answer says whether call scrubs a call's answer as well as its error.
type answer bool

const (
	// scrubAnswer: the answer is the plugin's report (health, models,
	// a probe, loaded models) and shows no request secret.
	scrubAnswer answer = true
	// keepAnswer: the answer is what the caller asked for and may need a
	// secret it gave (a resolved endpoint with its credentials, a server's
	// command line, file paths); only the error is scrubbed.
	keepAnswer answer = false
)

// call runs f with the call deadline and classifies its error: the
// plugin's own errors and the caller's cancellation come back as they are;
// a crash, a lost connection or the host's deadline become *PluginError
// (and a plugin that missed the deadline is killed). secrets (the
// request's key and endpoint credentials) are scrubbed from the error,
// and from the answer with scrubAnswer (scrub.go), so every call's error
// is scrubbed in one place.
func call[T any](ctx context.Context, b *pluginBackend, name string, timeout time.Duration, secrets []sdk.Secret, a answer, f func(context.Context) (T, error)) (T, error) {
	v, err := classify(ctx, b, name, timeout, f)
	if a == keepAnswer {
		_, err = scrubbed(secrets, struct{}{}, err)
		return v, err
	}
	return scrubbed(secrets, v, err)
}

// classify is call without the scrubbing.
func classify[T any](ctx context.Context, b *pluginBackend, name string, timeout time.Duration, f func(context.Context) (T, error)) (T, error) {
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

// Info implements sdk.Backend.
func (b *pluginBackend) Info(ctx context.Context) (sdk.Info, error) {
	return call(ctx, b, "Info", b.h.callTimeout, nil, keepAnswer, b.inst.backend.Info)
}

// Resolve implements sdk.Backend.
func (b *pluginBackend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return call(ctx, b, "Resolve", b.h.callTimeout, callSecrets(req.APIKey, req.Entry.Config.BaseURL), keepAnswer,
		func(ctx context.Context) (sdk.Resolution, error) { return b.inst.backend.Resolve(ctx, req) })
}

// Health implements sdk.HealthChecker.
func (b *pluginBackend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return call(ctx, b, "Health", b.h.callTimeout, callSecrets(req.APIKey, req.Endpoint), scrubAnswer,
		func(ctx context.Context) (sdk.HealthStatus, error) { return b.inst.backend.Health(ctx, req) })
}

// ListModels implements sdk.ModelLister.
func (b *pluginBackend) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	return call(ctx, b, "ListModels", b.h.callTimeout, callSecrets(req.APIKey, req.Endpoint), scrubAnswer,
		func(ctx context.Context) ([]sdk.ServedModel, error) { return b.inst.backend.ListModels(ctx, req) })
}

// ProbeVision implements sdk.VisionProber. Its deadline is the request's
// own Timeout plus a few seconds when that is longer than the call timeout.
func (b *pluginBackend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return call(ctx, b, "ProbeVision", probeDeadline(b.h.callTimeout, req.Timeout), callSecrets(req.APIKey, req.Endpoint, req.Entry.Config.BaseURL), scrubAnswer,
		func(ctx context.Context) (sdk.ProbeResult, error) { return b.inst.backend.ProbeVision(ctx, req) })
}

// Artifacts implements sdk.ArtifactLister.
func (b *pluginBackend) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	return call(ctx, b, "Artifacts", b.h.callTimeout, callSecrets("", req.Entry.Config.BaseURL), keepAnswer,
		func(ctx context.Context) (sdk.ArtifactSet, error) { return b.inst.backend.Artifacts(ctx, req) })
}

// probeDeadline is the deadline of a ProbeVision call.
func probeDeadline(callTimeout, reqTimeout time.Duration) time.Duration {
	want := defaultProbeTimeout
	if reqTimeout > 0 {
		want = reqTimeout + probeGrace
	}
	return max(callTimeout, want)
}
