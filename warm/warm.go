// Package warm is a core.BackendSource for long-lived processes such as
// `imageworks-loader serve`: each backend plugin starts on first use and
// stays up; one that crashes or stops answering is started again by the
// next request (immediately the first time, then with a growing delay
// while it keeps failing), and Resolve results are cached per entry
// content for as long as the plugin lives.
//
//	pool := warm.New(warm.Options{Host: core.PluginHostOptions(opts)})
//	defer pool.Close()
//	opts.Source = pool
//	l, err := core.Open(ctx, opts)
//
// A Pool is also a prometheus.Collector of plugin starts, failed starts and
// crashes by backend.
package warm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
)

// Defaults of Options.
const (
	// DefaultMinBackoff is the delay before the second restart of a plugin
	// that keeps failing; each further failure doubles it.
	DefaultMinBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff caps the delay between restarts.
	DefaultMaxBackoff = 30 * time.Second
	// maxCached bounds the cached resolutions per backend; the cache is
	// emptied when it is full (entries edited many times leave old keys).
	maxCached = 4096
)

// ErrClosed is returned by Backend after Close.
var ErrClosed = errors.New("warm pool closed")

// ErrBackingOff is wrapped by the error Backend returns while a failing
// plugin waits for its next restart; the error also wraps the last failure.
var ErrBackingOff = errors.New("plugin restart backing off")

// Options configure a Pool.
type Options struct {
	// Host configures the plugin host each backend's plugin is started
	// with (folders, environment, trust file, timeouts); see
	// core.PluginHostOptions.
	Host pluginhost.Options
	// Logger receives starts, crashes and restarts; nil discards them.
	Logger hclog.Logger
	// MinBackoff and MaxBackoff bound the delay between restarts of a
	// plugin that keeps failing; 0 means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Pool keeps one running plugin per backend name. It is safe for
// concurrent use; Close stops every plugin.
type Pool struct {
	opts Options
	log  hclog.Logger

	starts, startFailures, crashes *prometheus.CounterVec
	epoch                          atomic.Uint64 // plugin starts so far

	mu      sync.Mutex
	closed  bool
	members map[string]*member
}

// New returns a Pool; it starts nothing until a backend is asked for.
func New(opts Options) *Pool {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "imageworks", Subsystem: "plugin", Name: name, Help: help}, []string{"backend"})
	}
	return &Pool{
		opts:          opts,
		log:           log,
		starts:        counter("starts_total", "Plugin processes started, by backend."),
		startFailures: counter("start_failures_total", "Plugin starts that failed, by backend."),
		crashes:       counter("crashes_total", "Plugins that crashed or stopped answering during a call, by backend."),
		members:       map[string]*member{},
	}
}

// Epoch counts the plugin starts so far: it changes whenever any backend
// may resolve differently than before (a restarted, perhaps upgraded,
// plugin). Callers that keep answers derived from Resolve drop them when
// it changes (httpapi.Options.Epoch).
func (p *Pool) Epoch() uint64 { return p.epoch.Load() }

// Describe implements prometheus.Collector.
func (p *Pool) Describe(ch chan<- *prometheus.Desc) {
	p.starts.Describe(ch)
	p.startFailures.Describe(ch)
	p.crashes.Describe(ch)
}

// Collect implements prometheus.Collector.
func (p *Pool) Collect(ch chan<- prometheus.Metric) {
	p.starts.Collect(ch)
	p.startFailures.Collect(ch)
	p.crashes.Collect(ch)
}

// Backend returns the backend served by plugin imageworks-backend-NAME,
// starting it when it is not running. While a plugin that keeps failing
// waits for its next restart, the error wraps ErrBackingOff and the last
// failure. Other errors are the plugin host's (pluginhost.ErrPluginNotFound,
// *pluginhost.PluginError, ...), or ErrClosed.
func (p *Pool) Backend(ctx context.Context, name string) (sdk.Backend, error) {
	m, err := p.member(name)
	if err != nil {
		return nil, err
	}
	return m.backend(ctx)
}

// member returns backend name's member, adding it on first use.
func (p *Pool) member(name string) (*member, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, fmt.Errorf("backend %s: %w", name, ErrClosed)
	}
	m := p.members[name]
	if m == nil {
		m = &member{p: p, name: name, start: make(chan struct{}, 1)}
		p.members[name] = m
	}
	return m, nil
}

// Close stops every plugin and waits for them to be gone. Later calls to
// Backend fail with ErrClosed. It is safe to call more than once.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	ms := make([]*member, 0, len(p.members))
	for _, m := range p.members {
		ms = append(ms, m)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(ms))
	for i, m := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.close()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// backoff is the delay before restart number failures (counted from 1):
// none for the first, then MinBackoff doubling up to MaxBackoff.
func (p *Pool) backoff(failures int) time.Duration {
	if failures <= 1 {
		return 0
	}
	d := p.opts.MinBackoff
	for i := 2; i < failures && d < p.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.opts.MaxBackoff)
}
