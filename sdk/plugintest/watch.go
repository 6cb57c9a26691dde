package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// panics records every sign of a panic seen while the checks run: calls
// that failed because the plugin's code panicked (sdk.Serve recovers and
// marks them, see host.ErrPanicked) and, for a binary, Go panic traces on
// its stderr.
type panics struct {
	mu   sync.Mutex
	seen []string
}

func (p *panics) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, s)
}

// list returns what was seen, in order.
func (p *panics) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// note records err when it says the plugin panicked in call.
func (p *panics) note(call string, err error) {
	if errors.Is(err, host.ErrPanicked) {
		p.add(fmt.Sprintf("%s() panicked in the plugin: %v", call, err))
	}
}

// watched is the host's view of a backend with every call's error checked
// for a panic. It sits on the host side of the protocol, where every call
// exists, so it hides nothing of the plugin's own Implements.
type watched struct {
	b host.Remote
	p *panics
}

func (w watched) Info(ctx context.Context) (sdk.Info, error) {
	v, err := w.b.Info(ctx)
	w.p.note("Info", err)
	return v, err
}

func (w watched) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	v, err := w.b.Resolve(ctx, req)
	w.p.note("Resolve", err)
	return v, err
}

func (w watched) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	v, err := w.b.Health(ctx, req)
	w.p.note(sdk.CallHealth, err)
	return v, err
}

func (w watched) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	v, err := w.b.ListModels(ctx, req)
	w.p.note(sdk.CallListModels, err)
	return v, err
}

func (w watched) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	v, err := w.b.ProbeVision(ctx, req)
	w.p.note(sdk.CallProbeVision, err)
	return v, err
}

func (w watched) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	v, err := w.b.Artifacts(ctx, req)
	w.p.note(sdk.CallArtifacts, err)
	return v, err
}

// stderrWatch is the output of the logger the kit gives the plugin host:
// go-plugin logs each line of the plugin's stderr through it, the first
// line of a Go panic trace ("panic: ...", "fatal error: ...") at error
// level. (A panic sdk.Serve recovered comes back marked in the call's error
// instead.)
type stderrWatch struct {
	p       *panics
	mu      sync.Mutex
	partial []byte
}

// logger returns the hclog logger, at error level (so that plugins keep
// their own default level), writing JSON lines to w.
func (w *stderrWatch) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "plugintest", Level: hclog.Error, Output: w, JSONFormat: true})
}

// Write reads the logger's JSON lines; it never fails.
func (w *stderrWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		w.line(w.partial[:i])
		w.partial = w.partial[i+1:]
	}
}

func (w *stderrWatch) line(b []byte) {
	var entry struct {
		Message string `json:"@message"`
	}
	if json.Unmarshal(b, &entry) != nil {
		return
	}
	msg := entry.Message
	if strings.HasPrefix(msg, "panic: ") || strings.HasPrefix(msg, "fatal error: ") {
		w.p.add(fmt.Sprintf("the plugin's stderr shows a Go panic: %q", msg))
	}
}
