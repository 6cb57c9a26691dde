package warm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
)

// member is one backend name's plugin: running, backing off, or not yet
// started.
type member struct {
	p    *Pool
	name string

	// start serialises starts: one caller starts, the others wait for it
	// (or for their ctx to end). It is a semaphore of capacity 1: holding
	// it is having sent to it.
	start chan struct{}

	mu       sync.Mutex
	closed   bool
	host     *pluginhost.Host // nil when not running
	b        sdk.Backend
	gen      uint64 // counts starts; a call's crash concerns only its own
	failures int    // consecutive failures (failed starts and crashes)
	retryAt  time.Time
	lastErr  error
	cache    map[string]sdk.Resolution // valid for gen
}

// backend returns the running plugin, starting it when needed.
func (m *member) backend(ctx context.Context) (sdk.Backend, error) {
	if b, ok := m.running(); ok {
		return b, nil
	}
	// Wait for a start in progress instead of starting twice, but give up
	// when ctx ends.
	select {
	case m.start <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("starting plugin %s: %w", m.name, ctx.Err())
	}
	defer func() { <-m.start }()
	if b, ok := m.running(); ok {
		return b, nil
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("backend %s: %w", m.name, ErrClosed)
	}
	if wait := m.retryAt.Sub(m.p.opts.Now()); wait > 0 {
		err := m.lastErr
		m.mu.Unlock()
		return nil, fmt.Errorf("%w (next restart of plugin %s in %s): %w", ErrBackingOff, m.name, wait.Round(time.Millisecond), err)
	}
	m.mu.Unlock()

	h := pluginhost.New(m.p.opts.Host)
	b, err := h.Backend(ctx, m.name)
	if err == nil {
		// The host checks the plugin's name beside its first call; the
		// pool asks now, so that a refused plugin is a failed start.
		_, err = b.Info(ctx)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		_ = h.Close()
		if ctx.Err() == nil {
			m.failed(err)
			m.p.startFailures.WithLabelValues(m.name).Inc()
			m.p.log.Warn("plugin failed to start", "backend", m.name, "error", err, "failures", m.failures)
		}
		return nil, err
	}
	if m.closed { // closed while starting
		_ = h.Close()
		return nil, fmt.Errorf("backend %s: %w", m.name, ErrClosed)
	}
	m.host, m.b = h, b
	m.gen++
	m.cache = nil
	m.p.starts.WithLabelValues(m.name).Inc()
	m.p.epoch.Add(1)
	m.p.log.Info("plugin started", "backend", m.name, "start", m.gen)
	return &backend{m: m, b: b, gen: m.gen}, nil
}

// running returns the running plugin's backend, if any.
func (m *member) running() (sdk.Backend, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return nil, false
	}
	return &backend{m: m, b: m.b, gen: m.gen}, true
}

// failed records a failure; m.mu is held.
func (m *member) failed(err error) {
	m.failures++
	m.lastErr = err
	m.retryAt = m.p.opts.Now().Add(m.p.backoff(m.failures))
}

// crashed drops the plugin of start gen after a call found it dead or
// stuck; the next request starts it again. A stale gen (already
// restarted) is ignored.
func (m *member) crashed(gen uint64, err error) {
	m.mu.Lock()
	if m.gen != gen || m.b == nil {
		m.mu.Unlock()
		return
	}
	h := m.host
	m.host, m.b, m.cache = nil, nil, nil
	m.failed(err)
	m.mu.Unlock()
	m.p.crashes.WithLabelValues(m.name).Inc()
	m.p.log.Warn("plugin crashed; the next request restarts it", "backend", m.name, "error", err, "failures", m.failures)
	go func() { _ = h.Close() }() // reaps it; in-flight calls have failed already
}

// succeeded resets the failure count after a call the plugin answered.
func (m *member) succeeded(gen uint64) {
	m.mu.Lock()
	if m.gen == gen {
		m.failures = 0
	}
	m.mu.Unlock()
}

// close stops the plugin for good.
func (m *member) close() error {
	m.mu.Lock()
	m.closed = true
	h := m.host
	m.host, m.b, m.cache = nil, nil, nil
	m.mu.Unlock()
	if h == nil {
		return nil
	}
	return h.Close()
}

// fatal reports whether a call's error means the plugin process is gone
// or was stopped (it crashed, or missed its deadline and was killed).
func fatal(err error) bool {
	return errors.Is(err, pluginhost.ErrPluginCrashed) || errors.Is(err, pluginhost.ErrPluginTimeout)
}
