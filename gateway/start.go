package gateway

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/supervise"
)

// slotFor returns the slot rt runs in: its port's, or (for a model its
// backend loads) one of its own.
func (g *Gateway) slotFor(ctx context.Context, rt *route) (*slot, error) {
	kind, err := g.kind(ctx, rt)
	if err != nil {
		return nil, err
	}
	key, port := "load:"+rt.Name, rt.Port
	if kind == core.RunsServer {
		if port <= 0 {
			port = g.opts.Lifecycle.Port
		}
		if port <= 0 {
			port = supervise.DefaultPort
		}
		key = fmt.Sprintf("port:%d", port)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, refuse(503, errShuttingDown, fmt.Sprintf("Model '%s' cannot be served: the gateway is shutting down", rt.Name))
	}
	s, ok := g.slots[key]
	if !ok {
		s = newSlot(key, port)
		g.slots[key] = s
	}
	return s, nil
}

// kind is how rt's backend activates models, asked once per backend.
func (g *Gateway) kind(ctx context.Context, rt *route) (core.LifecycleKind, error) {
	g.mu.Lock()
	k, ok := g.kinds[rt.Backend]
	g.mu.Unlock()
	if ok {
		return k, nil
	}
	k, err := g.l.Lifecycle(ctx, rt.Name)
	if err != nil {
		e := refuse(424, errBackendUnavailable, fmt.Sprintf("Backend unavailable for '%s'", rt.Name))
		e.Hint = oneLine(err)
		return "", e
	}
	g.mu.Lock()
	g.kinds[rt.Backend] = k
	g.mu.Unlock()
	return k, nil
}

// ready waits until rt's entry is served, starting or swapping its slot
// when needed, and leases it.
func (g *Gateway) ready(ctx context.Context, rt *route) (*lease, error) {
	s, err := g.slotFor(ctx, rt)
	if err != nil {
		return nil, err
	}
	return s.acquire(ctx, rt.Name, g.opts.QueueWait, func(ctx context.Context, s *slot, prev *running) (*running, bool, error) {
		return g.start(ctx, s, rt, prev)
	}, g.opts.Now)
}

// start makes rt's entry run in s. The lock gate comes first, so a
// refusal leaves prev running. A server already up and serving the model
// (started by `activate` or by hand) is used as it is. The start runs to
// its end even when the request that asked for it goes away: others may
// be waiting for it.
func (g *Gateway) start(ctx context.Context, s *slot, rt *route, prev *running) (*running, bool, error) {
	ctx = context.WithoutCancel(ctx)
	if err := g.lockGate(ctx, rt); err != nil {
		return nil, true, err
	}
	pinned := g.pinned(rt.Name)
	if prev == nil && strings.HasPrefix(s.key, "port:") {
		if sel, err := g.l.Select(ctx, rt.Name, core.SelectOptions{Live: true, HereOnly: true}); err == nil && sel.Live != nil && sel.Live.Up && sel.Live.Served {
			g.log.Info("using a server already up", "model", rt.Name, "endpoint", sel.Endpoint)
			return &running{name: rt.Name, endpoint: sel.Endpoint, served: sel.InternalModelID, pinned: pinned, ttl: g.ttl(rt.Name)}, false, nil
		}
	}
	if prev == nil && strings.HasPrefix(s.key, "load:") {
		if a, ok := g.loadedAlready(ctx, rt); ok {
			g.log.Info("using a model already loaded", "model", rt.Name, "endpoint", a.Endpoint)
			return &running{name: rt.Name, endpoint: a.Endpoint, served: a.ServedModelID, pinned: pinned, ttl: g.ttl(rt.Name)}, false, nil
		}
	}
	opts := g.opts.Lifecycle
	if s.port > 0 {
		opts.Port = s.port
	}
	swap := prev != nil && prev.name != rt.Name
	if err := g.claim(ctx, s, rt.Name); err != nil {
		return nil, true, err
	}
	act, err := g.l.Activate(ctx, rt.Name, opts)
	if err != nil {
		g.metrics.refusal(rt.Name, "start_failed")
		g.log.Error("starting a model failed", "model", rt.Name, "slot", s.key, "error", oneLine(err))
		// A start that failed before it stopped prev (a launch command
		// the backend refused) leaves prev running: keep tracking it, so
		// that it is still stopped when idle and at Close.
		keep := !swap || g.serves(ctx, prev)
		// The fleet's claim names what runs in the slot: prev when kept,
		// else nothing.
		switch {
		case prev == nil || !keep:
			g.unclaim(ctx, s)
		case swap:
			_ = g.claim(ctx, s, prev.name)
		}
		return nil, keep, startRefusal(rt.Name, err)
	}
	g.metrics.start(rt.Name, swap)
	g.log.Info("model ready", "model", rt.Name, "slot", s.key, "endpoint", act.Endpoint, "swapped_out", act.Stopped, "reused", act.Reused)
	return &running{name: rt.Name, endpoint: act.Endpoint, served: act.ServedModelID, started: !act.Reused,
		pinned: pinned, ttl: g.ttl(rt.Name)}, false, nil
}

// serves reports whether prev's server is still up and serving its model.
func (g *Gateway) serves(ctx context.Context, prev *running) bool {
	sel, err := g.l.Select(ctx, prev.name, core.SelectOptions{Live: true, HereOnly: true})
	return err == nil && sel.Live != nil && sel.Live.Up && sel.Live.Served
}

// loadedAlready is rt's model when its server (Ollama) has it loaded
// before the gateway loads it: by `activate`, by hand or by a chat sent
// there directly. The gateway then uses it as it is and never unloads it.
// A server that cannot be asked is not an answer: the load that follows
// tells what is wrong.
func (g *Gateway) loadedAlready(ctx context.Context, rt *route) (core.Active, bool) {
	loaded, err := g.l.Loaded(ctx, rt.Backend)
	if err != nil {
		return core.Active{}, false
	}
	for _, a := range loaded {
		if a.LogicalName == rt.Name { // core knows Ollama's names: any case, ":latest" implied
			return a, true
		}
	}
	return core.Active{}, false
}

// startRefusal is the chat proxy's answer to a failed start.
func startRefusal(name string, err error) *apiError {
	var se *supervise.StartError
	if errors.As(err, &se) && strings.HasPrefix(se.Reason, "was not ready") || errors.Is(err, context.DeadlineExceeded) {
		e := refuse(424, errStartTimeout, fmt.Sprintf("Autostart did not make '%s' healthy in time", name))
		e.Hint = oneLine(err)
		return e
	}
	e := refuse(424, errBackendUnavailable, fmt.Sprintf("Backend unavailable for '%s'", name))
	e.Hint = oneLine(err)
	return e
}

// stopServer stops what the slot runs.
func (g *Gateway) stopServer(ctx context.Context, s *slot, cur *running) error {
	opts := g.opts.Lifecycle
	if s.port > 0 {
		opts.Port = s.port
	}
	if _, err := g.l.Deactivate(ctx, cur.name, opts); err != nil {
		return fmt.Errorf("stopping %q (%s): %w", cur.name, s.key, err)
	}
	g.unclaim(ctx, s)
	g.log.Info("stopped a model", "model", cur.name, "slot", s.key)
	return nil
}

// lockGate verifies a locked entry before its server starts; a verify
// that held is reused while the files' stamps stay the same. A violation
// (or a lock whose fields cannot be read) is a 409 naming it.
func (g *Gateway) lockGate(ctx context.Context, rt *route) error {
	if rt.LockError != nil {
		g.metrics.refusal(rt.Name, "lock_invalid")
		return refuse(409, errLockViolation, fmt.Sprintf("Model '%s' has a version lock that cannot be read: %s", rt.Name, oneLine(rt.LockError)))
	}
	if !rt.Locked {
		return nil
	}
	stamp, serr := g.l.FilesStamp(ctx, rt.Name)
	g.mu.Lock()
	v, ok := g.stamps[rt.Name]
	g.mu.Unlock()
	if serr == nil && ok && v.stamp == stamp && v.expected == rt.ExpectedAggregateSHA256 && v.expected != "" {
		return nil
	}
	res, err := g.l.Verify(ctx, rt.Name, core.VerifyOptions{})
	if err != nil {
		g.metrics.refusal(rt.Name, "lock_violation")
		var lv *artifact.LockViolationError
		if errors.As(err, &lv) {
			e := refuse(409, errLockViolation, fmt.Sprintf("Model '%s' violates its version lock: expected %s, got %s", rt.Name, lv.Expected, orNone(lv.Actual)))
			if d := lv.Drift.String(); d != "" {
				e.Message += "; " + d
			}
			return e
		}
		e := refuse(409, errLockViolation, fmt.Sprintf("Model '%s' could not be verified against its version lock", rt.Name))
		e.Hint = oneLine(err)
		return e
	}
	if serr == nil {
		g.mu.Lock()
		g.stamps[rt.Name] = verified{stamp: stamp, expected: res.ExpectedAggregateSHA256}
		g.mu.Unlock()
	}
	return nil
}

func (g *Gateway) pinned(name string) bool {
	for _, p := range g.opts.Pinned {
		if p == name {
			return true
		}
	}
	return false
}

func (g *Gateway) ttl(name string) time.Duration {
	if t, ok := g.opts.TTL[name]; ok {
		return t
	}
	return g.opts.IdleTTL
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// oneLine flattens an error for a message.
func oneLine(err error) string {
	return strings.NewReplacer("\r\n", "; ", "\n", "; ").Replace(strings.TrimSpace(err.Error()))
}
