// Package httpapi is the registry over HTTP: the routes, shapes, status
// codes and error details of the earlier Python tool's FastAPI service
// (so its clients work unchanged), plus select by role, live checks, lock
// and unlock, backend health, a probe that takes the image in the body,
// /healthz, Prometheus metrics and an OpenAPI document. `imageworks-loader
// serve` is a thin command over it; embedders mount New's handler on their
// own mux.
//
// Errors are JSON {"detail": ...}; malformed bodies get 422 with a detail
// list as FastAPI (pydantic v1) gives them. openapi.json, served at
// /openapi.json, documents every route.
package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// OpenAPI is the OpenAPI 3.1 document of the API, as served at
// /openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Body limits.
const (
	// MaxBodyBytes bounds every request body but the probe's.
	MaxBodyBytes = 1 << 20
	// maxProbeOverhead is what a probe body may hold beyond the image:
	// base64's growth is added separately.
	maxProbeOverhead = 1 << 20
)

// Options configure the handler. The zero value serves the Python
// service's routes and the additions, with no token, no image root and no
// access log.
type Options struct {
	// Version is reported by GET /.
	Version string
	// Token, when not empty, is the bearer token every route but /healthz
	// requires (Authorization: Bearer TOKEN), compared in constant time.
	Token string
	// ImageRoot is the folder image_path must lie in (symlinks out of it
	// refused); "" refuses every image_path with 403.
	ImageRoot string
	// MaxImageBytes bounds a probe's image; 0 means core.DefaultMaxImageBytes.
	MaxImageBytes int64
	// OpenWriter opens a Loader for one write (verify, lock, unlock,
	// probe), closed afterwards, so a write that fails leaves nothing
	// staged in the shared Loader; it should share the shared Loader's
	// backend source. Nil means writes go through the shared Loader.
	OpenWriter func(ctx context.Context) (*core.Loader, error)
	// Logger receives the access log (one Info line per request: method,
	// path, route, status, bytes, duration; never bodies or tokens, and
	// the path scrubbed of the token and of the registry's credentials as
	// Loader.Secrets lists them at that moment) and errors. Nil discards
	// them.
	Logger hclog.Logger
	// Collectors are registered with the handler's metrics registry beside
	// its own (a warm.Pool's plugin counters, say).
	Collectors []prometheus.Collector
	// Epoch, when set, enables the select cache: the encoded answer of a
	// select by name (no live check) is kept per registry entry for as
	// long as Epoch returns the same value. It must change whenever a
	// backend may resolve differently, as a warm.Pool's Epoch does (it
	// counts plugin starts). An edited entry is a new entry: the registry
	// makes new ones on every change.
	Epoch func() uint64
}

// handler serves the API over one Loader.
type handler struct {
	l        *core.Loader
	opts     Options
	log      hclog.Logger
	tokenSum [sha256.Size]byte
	metrics  http.Handler
	routes   map[string]route
	// metricsRoute is the route GET /v1/models/{name}/metrics, which find
	// matches outside the routes table.
	metricsRoute route

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	models  modelsCache
	selects selectCache
}

// New returns the API handler over l. It panics when a collector in
// opts.Collectors cannot be registered (a duplicate), a programming error.
func New(l *core.Loader, opts Options) http.Handler {
	if opts.MaxImageBytes <= 0 {
		opts.MaxImageBytes = core.DefaultMaxImageBytes
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	h := &handler{l: l, opts: opts, log: log, tokenSum: sha256.Sum256([]byte(opts.Token)),
		routes: routeTable(), metricsRoute: route{metricsRouteName, get((*handler).modelMetrics)}}
	h.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "imageworks", Subsystem: "http", Name: "requests_total",
		Help: "HTTP requests answered, by route and status code.",
	}, []string{"route", "code"})
	h.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "imageworks", Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.requests, h.latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(opts.Collectors...)
	h.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return h
}

// route is one path with a handler per method.
type route struct {
	name    string // the pattern, for metrics and logs
	methods map[string]func(*handler, http.ResponseWriter, *http.Request)
}

// routeTable maps each path to its route. Paths are matched exactly, as
// FastAPI does (no trailing-slash variants); /v1/models/{name}/metrics is
// matched in find.
func routeTable() map[string]route {
	return map[string]route{
		"/":                {"/", get((*handler).root)},
		"/healthz":         {"/healthz", get((*handler).healthz)},
		"/openapi.json":    {"/openapi.json", get((*handler).openapi)},
		"/metrics":         {"/metrics", get((*handler).promMetrics)},
		"/v1/models":       {"/v1/models", get((*handler).listModels)},
		"/v1/select":       {"/v1/select", post((*handler).selectModel)},
		"/v1/verify":       {"/v1/verify", post((*handler).verify)},
		"/v1/probe/vision": {"/v1/probe/vision", post((*handler).probeVision)},
		"/v1/backends":     {"/v1/backends", get((*handler).backends)},
		"/v1/lock":         {"/v1/lock", post((*handler).lock)},
		"/v1/unlock":       {"/v1/unlock", post((*handler).unlock)},
	}
}

// metricsRouteName is the route of GET /v1/models/{name}/metrics.
const metricsRouteName = "/v1/models/{name}/metrics"

func get(f func(*handler, http.ResponseWriter, *http.Request)) map[string]func(*handler, http.ResponseWriter, *http.Request) {
	// Starlette answers HEAD wherever it answers GET.
	return map[string]func(*handler, http.ResponseWriter, *http.Request){http.MethodGet: f, http.MethodHead: f}
}

func post(f func(*handler, http.ResponseWriter, *http.Request)) map[string]func(*handler, http.ResponseWriter, *http.Request) {
	return map[string]func(*handler, http.ResponseWriter, *http.Request){http.MethodPost: f}
}

// find returns the route of path and, for the metrics route, the name in it.
func (h *handler) find(path string) (route, string, bool) {
	if rt, ok := h.routes[path]; ok {
		return rt, "", true
	}
	if rest, ok := strings.CutPrefix(path, "/v1/models/"); ok {
		if name, ok := strings.CutSuffix(rest, "/metrics"); ok && name != "" && !strings.Contains(name, "/") {
			return h.metricsRoute, name, true
		}
	}
	return route{}, "", false
}

// ServeHTTP authenticates, routes, answers and logs one request.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rt, name, found := h.find(r.URL.Path)
	label := rt.name
	if !found {
		label = "unmatched"
	}
	switch {
	case label != "/healthz" && !h.authorized(r):
		rec.Header().Set("WWW-Authenticate", `Bearer realm="imageworks-loader"`)
		writeDetail(rec, http.StatusUnauthorized, "Not authenticated")
	case !found:
		writeDetail(rec, http.StatusNotFound, "Not Found")
	default:
		f, ok := rt.methods[r.Method]
		if !ok {
			rec.Header().Set("Allow", allow(rt))
			writeDetail(rec, http.StatusMethodNotAllowed, "Method Not Allowed")
			break
		}
		if name != "" {
			r.SetPathValue("name", name)
		}
		f(h, rec, r)
	}
	d := time.Since(start)
	h.requests.WithLabelValues(label, strconv.Itoa(rec.status)).Inc()
	h.latency.WithLabelValues(label).Observe(d.Seconds())
	if h.log.IsInfo() {
		h.log.Info("request", "method", r.Method, "path", h.scrubbed(r, r.URL.Path), "route", label,
			"status", rec.status, "bytes", rec.bytes, "duration", d, "remote", r.RemoteAddr)
	}
}

// scrubbed is s, from r, fit for the access log: the registry's
// credentials as they are now (core.Loader.Secrets: a key added to the
// registry since the last request is known), and the bearer token,
// replaced by sdk.Masked.
func (h *handler) scrubbed(r *http.Request, s string) string {
	secrets := h.l.Secrets(context.WithoutCancel(r.Context()))
	if h.opts.Token != "" {
		secrets = append(slices.Clip(secrets), sdk.Secret(h.opts.Token))
	}
	return sdk.RedactSecrets(s, secrets...)
}

// allow lists a route's methods for the Allow header.
func allow(rt route) string {
	var ms []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		if _, ok := rt.methods[m]; ok {
			ms = append(ms, m)
		}
	}
	return strings.Join(ms, ", ")
}

// authorized reports whether r carries the token, when one is set. The
// digests are compared, in constant time, so neither the token's bytes nor
// its length leak through timing.
func (h *handler) authorized(r *http.Request) bool {
	if h.opts.Token == "" {
		return true
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], h.tokenSum[:]) == 1
}

// recorder remembers the status and size of an answer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// modelsCache holds the encoded GET /v1/models answer for one state of
// the registry (the entries it was built from, which never change in
// place: a re-read or an edit makes new ones).
type modelsCache struct {
	mu      sync.Mutex
	entries []*registry.Entry
	body    []byte
}

// selectCache holds encoded select answers by entry, for one epoch.
type selectCache struct {
	mu     sync.RWMutex
	epoch  uint64
	bodies map[*registry.Entry][]byte
}

// maxSelectCache bounds the select cache; it is emptied when full (old
// entries of past registry states are never asked for again).
const maxSelectCache = 4096

func (c *selectCache) get(e *registry.Entry, epoch uint64) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	b, ok := c.bodies[e]
	return b, ok && c.epoch == epoch
}

func (c *selectCache) put(e *registry.Entry, epoch uint64, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch || c.bodies == nil || len(c.bodies) >= maxSelectCache {
		c.epoch, c.bodies = epoch, map[*registry.Entry][]byte{}
	}
	c.bodies[e] = body
}
