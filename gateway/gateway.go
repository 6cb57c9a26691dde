package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/supervise"
)

// Defaults for Options.
const (
	// DefaultIdleTTL suits a workstation: a model nobody asked for in half
	// an hour gives its GPU memory back.
	DefaultIdleTTL = 30 * time.Minute
	// DefaultQueueWait bounds how long a request waits for a start or a
	// swap: the time a large model takes to load.
	DefaultQueueWait = supervise.DefaultStartTimeout
	// DefaultMaxBody bounds a request body (images included).
	DefaultMaxBody = 64 << 20
	// DefaultMaxImageBytes is the Python chat proxy's image limit.
	DefaultMaxImageBytes = 6_000_000
	// DefaultFlushEvery is how often measured performance is saved.
	DefaultFlushEvery = 30 * time.Second
	// readyPoll is how often a starting server's readiness check is
	// asked: a swap costs its load time plus at most this. One GET of a
	// health route on loopback every 10 ms costs next to nothing beside a
	// model loading; every 50 ms cost a swap 25 ms on average.
	readyPoll = 10 * time.Millisecond
)

// Options configure a Gateway.
type Options struct {
	// Lifecycle is the base of every start and stop: the supervisor's
	// state folder and timeouts, and the default slot's port (used by
	// entries without backend_config.port) and host.
	Lifecycle core.LifecycleOptions
	// IdleTTL stops a server the gateway started after this long unused;
	// 0 means never. Negative means DefaultIdleTTL.
	IdleTTL time.Duration
	// TTL overrides IdleTTL per entry (by logical name).
	TTL map[string]time.Duration
	// Pinned entries are started with the gateway and never swapped out
	// or stopped while it runs.
	Pinned []string
	// QueueWait bounds a request's wait for a start or swap (0: default).
	QueueWait time.Duration
	// Token, when set, is the bearer token every route but /v1/health
	// requires.
	Token string
	// MaxBody and MaxImageBytes bound a request (0: defaults).
	MaxBody, MaxImageBytes int64
	// FlushEvery is how often measured performance is saved (0: default).
	FlushEvery time.Duration
	// Transport forwards requests to the servers; nil means a transport
	// with no overall timeout (answers stream for as long as they take).
	Transport http.RoundTripper
	// Logger gets one line per start, swap, stop and refusal.
	Logger hclog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Gateway is the http.Handler of one OpenAI-compatible address for every
// model of a core.Loader. Close it to stop the servers it started.
type Gateway struct {
	l       *core.Loader
	opts    Options
	log     hclog.Logger
	metrics *metrics
	perf    *perfBuffer
	mux     *http.ServeMux
	buffers *bufferPool
	started time.Time

	mu         sync.Mutex
	tab        *table
	tabChecked time.Time // when the registry was last asked whether it changed
	slots      map[string]*slot
	kinds      map[string]core.LifecycleKind       // by backend
	stamps     map[string]verified                 // by entry: the last verify that held
	claims     map[int]func(context.Context) error // by port: release of the fleet's slot claim
	closed     bool                                // Close has begun: no slot is made any more

	stop chan struct{}
	done sync.WaitGroup
}

// verified is a verify that held, and the file stamp it was made at.
type verified struct{ stamp, expected string }

// New returns a gateway over l. Its background work (idle stops, saving
// performance, starting pinned entries) runs until Close. A pinned entry
// or a TTL's entry that the registry does not name is an error.
func New(ctx context.Context, l *core.Loader, opts Options) (*Gateway, error) {
	if opts.IdleTTL < 0 {
		opts.IdleTTL = DefaultIdleTTL
	}
	if opts.QueueWait <= 0 {
		opts.QueueWait = DefaultQueueWait
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = DefaultMaxImageBytes
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	opts.Lifecycle.NoGPUReport = true // a swap must not wait on nvidia-smi
	if opts.Lifecycle.Supervisor.PollInterval <= 0 {
		opts.Lifecycle.Supervisor.PollInterval = readyPoll
	}
	if opts.Transport == nil {
		opts.Transport = defaultTransport()
	}
	g := &Gateway{l: l, opts: opts, log: opts.Logger, metrics: newMetrics(), perf: newPerfBuffer(), buffers: newBufferPool(),
		started: opts.Now(), slots: map[string]*slot{}, kinds: map[string]core.LifecycleKind{}, claims: map[int]func(context.Context) error{},
		stamps: map[string]verified{}, stop: make(chan struct{})}
	if err := g.resolveNames(ctx); err != nil {
		return nil, err
	}
	g.mux = http.NewServeMux()
	g.mux.HandleFunc("GET /v1/models", g.models)
	g.mux.HandleFunc("GET /v1/health", g.health)
	g.mux.HandleFunc("GET /v1/metrics", g.metricsSummary)
	g.mux.Handle("GET /metrics", g.metrics.handler())
	for _, p := range []string{"/v1/chat/completions", "/v1/completions", "/v1/embeddings"} {
		g.mux.HandleFunc("POST "+p, g.proxy)
	}
	g.mux.HandleFunc("/", unrouted)
	g.done.Add(2)
	go g.janitor()
	go g.flusher()
	if len(opts.Pinned) > 0 {
		g.done.Add(1)
		go g.startPinned()
	}
	return g, nil
}

// resolveNames turns the pinned entries and the TTLs' keys into logical
// names (they may be given as aliases or display ids).
func (g *Gateway) resolveNames(ctx context.Context) error {
	t := g.table(ctx)
	name := func(what, n string) (string, error) {
		rt, err := t.lookup(n)
		if err != nil {
			return "", fmt.Errorf("%s %q: no such model in the registry", what, n)
		}
		return rt.Name, nil
	}
	pinned := make([]string, 0, len(g.opts.Pinned))
	for _, p := range g.opts.Pinned {
		n, err := name("pinned model", p)
		if err != nil {
			return err
		}
		pinned = append(pinned, n)
	}
	ttl := make(map[string]time.Duration, len(g.opts.TTL))
	for k, d := range g.opts.TTL {
		n, err := name("idle TTL of model", k)
		if err != nil {
			return err
		}
		ttl[n] = d
	}
	g.opts.Pinned, g.opts.TTL = pinned, ttl
	return nil
}

// routes are the gateway's paths, for telling a wrong method from an
// unknown path.
var routes = map[string]bool{"/v1/models": true, "/v1/health": true, "/v1/metrics": true, "/metrics": true,
	"/v1/chat/completions": true, "/v1/completions": true, "/v1/embeddings": true}

// unrouted answers what no route takes as the Python proxy (FastAPI) did:
// 405 {"detail":"Method Not Allowed"} for a known path, else 404
// {"detail":"Not Found"}, JSON either way.
func unrouted(w http.ResponseWriter, r *http.Request) {
	if routes[r.URL.Path] {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
}

// ServeHTTP checks the bearer token, then routes.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.opts.Token != "" && r.URL.Path != "/v1/health" && !g.authorised(r) {
		writeError(w, refuse(http.StatusUnauthorized, errUnauthorized, "Missing or invalid bearer token"))
		return
	}
	g.mux.ServeHTTP(w, r)
}

func (g *Gateway) authorised(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(g.opts.Token)) == 1
}

// tableCheck is how often a request checks the registry on disk for
// changes (core's Generation: a stat of each layer file, under the
// registry's lock), so a change is seen within it; a name the table does
// not know is checked at once (freshTable).
const tableCheck = time.Second

// table returns the routing table, rebuilt when the registry changed; the
// registry is asked at most every tableCheck.
func (g *Gateway) table(ctx context.Context) *table {
	now := g.opts.Now()
	g.mu.Lock()
	if t := g.tab; t != nil && !now.Before(g.tabChecked) && now.Sub(g.tabChecked) < tableCheck {
		g.mu.Unlock()
		return t
	}
	g.mu.Unlock()
	return g.freshTable(ctx)
}

// freshTable asks the registry whether it changed, and returns the
// routing table of what it holds now.
func (g *Gateway) freshTable(ctx context.Context) *table {
	now := g.opts.Now()
	gen := g.l.Generation(ctx)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tabChecked = now
	if g.tab == nil || g.tab.gen != gen {
		g.tab = buildTable(gen, g.l.Models(ctx))
	}
	return g.tab
}

// lookup finds a request's model in the routing table; a name it does not
// know is looked up again in the registry as it is now (a model added a
// moment ago is found at once).
func (g *Gateway) lookup(ctx context.Context, model string) (*route, error) {
	rt, err := g.table(ctx).lookup(model)
	if err != nil {
		rt, err = g.freshTable(ctx).lookup(model)
	}
	return rt, err
}

func (g *Gateway) models(w http.ResponseWriter, r *http.Request) {
	remote, err := g.l.FleetModels(r.Context())
	if err != nil {
		g.log.Debug("fleet: other hosts' models left out", "error", oneLine(err))
	}
	writeJSON(w, http.StatusOK, g.freshTable(r.Context()).modelsAnswer(remote))
}

func (g *Gateway) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "uptime_seconds": int64(g.opts.Now().Sub(g.started).Seconds())})
}

// Close stops the background work, saves the performance measured so far
// and stops every server the gateway started (pinned ones too); servers
// it found running are left as they are. Serve's drain should end first;
// a request still waiting is refused (503), and a start under way is
// waited for (within ctx) so that its server is stopped too. Only the
// first call does anything.
func (g *Gateway) Close(ctx context.Context) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return nil
	}
	g.closed = true
	g.mu.Unlock()
	close(g.stop)
	g.done.Wait()
	var errs []error
	if err := g.flushPerformance(ctx); err != nil {
		errs = append(errs, err)
	}
	for _, s := range g.slotList() {
		if err := s.close(ctx, g.stopServer); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// janitor stops idle servers.
func (g *Gateway) janitor() {
	defer g.done.Done()
	// A quarter of the shortest TTL, so a server stops at most 25 % late;
	// at most a second, at least 10 ms.
	every := time.Second
	for _, ttl := range append(slices.Collect(maps.Values(g.opts.TTL)), g.opts.IdleTTL) {
		if ttl > 0 {
			every = min(every, max(ttl/4, 10*time.Millisecond))
		}
	}
	g.every(every, func() {
		for _, s := range g.slotList() {
			if _, err := s.idleStop(context.Background(), g.opts.Now(), g.stopServer); err != nil {
				g.log.Warn("stopping an idle server failed", "slot", s.key, "error", err)
			}
		}
	})
}

// every runs fn every d until Close begins.
func (g *Gateway) every(d time.Duration, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
			fn()
		}
	}
}

// slotList is the slots made so far.
func (g *Gateway) slotList() []*slot {
	g.mu.Lock()
	defer g.mu.Unlock()
	slots := make([]*slot, 0, len(g.slots))
	for _, s := range g.slots {
		slots = append(slots, s)
	}
	return slots
}

// startPinned starts every pinned entry, so the first request finds it
// ready.
func (g *Gateway) startPinned() {
	defer g.done.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-g.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, name := range g.opts.Pinned {
		rt, err := g.lookup(ctx, name)
		if err != nil {
			g.log.Error("a pinned model is not in the registry", "model", name)
			continue
		}
		ls, err := g.ready(ctx, rt)
		if err != nil {
			g.log.Error("starting a pinned model failed", "model", name, "error", err)
			continue
		}
		ls.release(g.opts.Now())
	}
}
