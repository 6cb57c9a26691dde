package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// panics records every sign of a panic seen while the checks run: calls
// that failed because the plugin's code panicked (sdk.Serve recovers and
// marks them, see host.ErrPanicked), the "backend panicked" records
// sdk.Serve logs as it recovers (which alone show a panic in a call the
// kit had given up on), and, for a binary, Go panic traces on its stderr.
// calls tracks the calls in flight, so that the Panics check can let them
// finish first.
type panics struct {
	mu    sync.Mutex
	seen  []panicSign
	calls inflight
}

// panicSign is one sign of a panic: msg says what was seen; call names the
// call that panicked, when known; logged is true for a plugin's own record.
type panicSign struct {
	call   string
	msg    string
	logged bool
}

func (p *panics) add(s panicSign) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, s)
}

// list returns what was seen, in order. A failed call is left out when the
// plugin logged a panic of the same call: that record says more (and says
// it once).
func (p *panics) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	logged := map[string]bool{}
	for _, s := range p.seen {
		if s.logged {
			logged[s.call] = true
		}
	}
	var out []string
	for _, s := range p.seen {
		if s.logged || s.call == "" || !logged[s.call] {
			out = append(out, s.msg)
		}
	}
	return out
}

// note records err when it says the plugin panicked in call.
func (p *panics) note(call string, err error) {
	if errors.Is(err, host.ErrPanicked) {
		p.add(panicSign{call: call, msg: fmt.Sprintf("%s() panicked in the plugin: %v", call, err)})
	}
}

// watched is the host's view of a backend with every call's error checked
// for a panic. It sits on the host side of the protocol, where every call
// exists, so it hides nothing of the plugin's own Implements.
type watched struct {
	b host.Remote
	p *panics
}

// watchCall makes one call through w, which is counted in flight and its
// error checked for a panic; f makes the call with ctx.
func watchCall[T any](ctx context.Context, w watched, call string, f func(context.Context) (T, error)) (T, error) {
	end := w.p.calls.begin()
	v, err := f(ctx)
	end(ctx)
	w.p.note(call, err)
	return v, err
}

func (w watched) Info(ctx context.Context) (sdk.Info, error) {
	return watchCall(ctx, w, "Info", w.b.Info)
}

func (w watched) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return watchCall(ctx, w, "Resolve", func(ctx context.Context) (sdk.Resolution, error) { return w.b.Resolve(ctx, req) })
}

func (w watched) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return watchCall(ctx, w, sdk.CallHealth, func(ctx context.Context) (sdk.HealthStatus, error) { return w.b.Health(ctx, req) })
}

func (w watched) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	return watchCall(ctx, w, sdk.CallListModels, func(ctx context.Context) ([]sdk.ServedModel, error) { return w.b.ListModels(ctx, req) })
}

func (w watched) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return watchCall(ctx, w, sdk.CallProbeVision, func(ctx context.Context) (sdk.ProbeResult, error) { return w.b.ProbeVision(ctx, req) })
}

func (w watched) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	return watchCall(ctx, w, sdk.CallArtifacts, func(ctx context.Context) (sdk.ArtifactSet, error) { return w.b.Artifacts(ctx, req) })
}

// logWatch reads a plugin's log lines for signs of a panic: sdk.Serve's
// "backend panicked" record of a panic it recovered, and the first line of
// a Go panic trace ("panic: ...", "fatal error: ..."). For a binary it is
// the output of the logger the kit gives the plugin host, through which
// go-plugin logs each of the plugin's log records and stderr lines (a
// trace's at error level); in process it is where sdk.ServeDebug writes
// the plugin's own JSON log lines, and then it passes them on to tee.
type logWatch struct {
	p       *panics
	tee     io.Writer // may be nil
	mu      sync.Mutex
	partial []byte
}

// logger returns the hclog logger, at error level (so that plugins keep
// their own default level), writing JSON lines to w.
func (w *logWatch) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "plugintest", Level: hclog.Error, Output: w, JSONFormat: true})
}

// Write reads JSON log lines; it never fails.
func (w *logWatch) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tee != nil {
		_, _ = w.tee.Write(b)
	}
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

// recoveredMsg is the message of the record sdk.Serve logs as it recovers
// a panic in a call (keys "call" and "panic").
const recoveredMsg = "backend panicked"

func (w *logWatch) line(b []byte) {
	var entry struct {
		Message string `json:"@message"`
		Call    string `json:"call"`
		Panic   string `json:"panic"`
	}
	if json.Unmarshal(b, &entry) != nil {
		return
	}
	msg := entry.Message
	switch {
	case msg == recoveredMsg:
		w.p.add(panicSign{
			call:   entry.Call,
			msg:    fmt.Sprintf("%s() panicked in the plugin: %s (the plugin logged %q)", entry.Call, entry.Panic, recoveredMsg),
			logged: true,
		})
	case strings.HasPrefix(msg, "panic: ") || strings.HasPrefix(msg, "fatal error: "):
		w.p.add(panicSign{msg: fmt.Sprintf("the plugin's stderr shows a Go panic: %q", msg)})
	}
}
