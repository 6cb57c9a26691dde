package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/imageworks-ai/loader/core/registry"
)

// metrics are the gateway's Prometheus series, on a registry of its own.
type metrics struct {
	reg       *prometheus.Registry
	ttft      *prometheus.HistogramVec
	tps       *prometheus.HistogramVec
	starts    *prometheus.CounterVec
	swaps     *prometheus.CounterVec
	wait      *prometheus.HistogramVec
	refusals  *prometheus.CounterVec
	requests  *prometheus.CounterVec
	mu        sync.Mutex
	summaries map[string]*summary
}

// summary is one model's figures for GET /v1/metrics.
type summary struct {
	Requests   int64   `json:"requests"`
	Streamed   int64   `json:"streamed"`
	TTFTMSAvg  float64 `json:"ttft_ms_avg"`
	TokensAvg  float64 `json:"throughput_toks_per_s_avg"`
	Tokens     int64   `json:"tokens_generated"`
	Starts     int64   `json:"starts"`
	Swaps      int64   `json:"swaps"`
	Refusals   int64   `json:"refusals"`
	ttftSum    float64
	tpsSum     float64
	tpsSamples int64
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(), summaries: map[string]*summary{}}
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "imageworks_gateway_ttft_seconds",
		Help:    "Time to the first token: the first streamed chunk, or the whole answer when not streamed.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"model"})
	m.tps = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "imageworks_gateway_tokens_per_second",
		Help:    "Tokens per second of an answer (usage, else counted chunks) over its whole duration.",
		Buckets: []float64{1, 5, 10, 20, 40, 80, 160, 320, 640, 1280}}, []string{"model"})
	m.starts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imageworks_gateway_starts_total",
		Help: "Servers started or models loaded for a request."}, []string{"model"})
	m.swaps = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imageworks_gateway_swaps_total",
		Help: "Starts that replaced another model on the same port."}, []string{"model"})
	m.wait = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "imageworks_gateway_queue_wait_seconds",
		Help:    "How long requests waited for their model's server (start, swap or turn).",
		Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 180}}, []string{"model"})
	m.refusals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imageworks_gateway_refusals_total",
		Help: "Requests refused before reaching a server, by reason."}, []string{"model", "reason"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "imageworks_gateway_requests_total",
		Help: "Requests answered by a model's server."}, []string{"model"})
	m.reg.MustRegister(m.ttft, m.tps, m.starts, m.swaps, m.wait, m.refusals, m.requests)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *metrics) sum(name string) *summary {
	s, ok := m.summaries[name]
	if !ok {
		s = &summary{}
		m.summaries[name] = s
	}
	return s
}

func (m *metrics) start(name string, swap bool) {
	m.starts.WithLabelValues(name).Inc()
	if swap {
		m.swaps.WithLabelValues(name).Inc()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sum(name)
	s.Starts++
	if swap {
		s.Swaps++
	}
}

// refusal counts a refused request; an unknown model's name (anything a
// client typed) is not a label.
func (m *metrics) refusal(name, reason string) {
	if reason == "not_found" {
		name = ""
	}
	m.refusals.WithLabelValues(name, reason).Inc()
	if name == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sum(name).Refusals++
}

func (m *metrics) queueWait(name string, d time.Duration) {
	m.wait.WithLabelValues(name).Observe(d.Seconds())
}

func (m *metrics) sample(name string, stream bool, s registry.PerformanceSample) {
	m.requests.WithLabelValues(name).Inc()
	m.ttft.WithLabelValues(name).Observe(s.TTFTMS / 1000)
	tps := s.Throughput()
	if tps > 0 {
		m.tps.WithLabelValues(name).Observe(tps)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sm := m.sum(name)
	sm.Requests++
	if stream {
		sm.Streamed++
	}
	sm.Tokens += s.TokensGenerated
	sm.ttftSum += s.TTFTMS
	sm.TTFTMSAvg = sm.ttftSum / float64(sm.Requests)
	if tps > 0 {
		sm.tpsSum += tps
		sm.tpsSamples++
		sm.TokensAvg = sm.tpsSum / float64(sm.tpsSamples)
	}
}

// metricsSummary is GET /v1/metrics: per model, what this gateway measured
// since it started.
func (g *Gateway) metricsSummary(w http.ResponseWriter, _ *http.Request) {
	g.metrics.mu.Lock()
	names := make([]string, 0, len(g.metrics.summaries))
	for n := range g.metrics.summaries {
		names = append(names, n)
	}
	sort.Strings(names)
	models := make(map[string]summary, len(names))
	for _, n := range names {
		models[n] = *g.metrics.summaries[n]
	}
	g.metrics.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"uptime_seconds": int64(g.opts.Now().Sub(g.started).Seconds()), "models": models})
}

// meter measures one answer as it passes: time to the first chunk, tokens
// (from usage, else counted chunks), duration.
type meter struct {
	g      *Gateway
	name   string
	stream bool
	began  time.Time
}

// maxKept bounds what a non-streamed answer keeps to read its usage.
const maxKept = 1 << 20

func (m *meter) wrap(rc io.ReadCloser) io.ReadCloser { return &meterBody{rc: rc, m: m} }

type meterBody struct {
	rc     io.ReadCloser
	m      *meter
	first  time.Time
	kept   []byte // non-streamed: the answer (up to maxKept)
	line   []byte // streamed: the line being read
	chunks int64
	usage  int64
	done   bool
}

func (b *meterBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		if b.first.IsZero() {
			b.first = b.m.g.opts.Now()
		}
		if b.m.stream {
			b.scan(p[:n])
		} else if len(b.kept) < maxKept {
			b.kept = append(b.kept, p[:min(n, maxKept-len(b.kept))]...)
		}
	}
	if err == io.EOF {
		b.finish()
	}
	return n, err
}

func (b *meterBody) Close() error { return b.rc.Close() }

// scan reads SSE lines: a data line with content is a chunk; one with
// usage gives the token count.
func (b *meterBody) scan(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(b.line) < maxKept {
				b.line = append(b.line, p...)
			}
			return
		}
		b.line = append(b.line, p[:i]...)
		p = p[i+1:]
		b.dataLine(b.line)
		b.line = b.line[:0]
	}
}

func (b *meterBody) dataLine(line []byte) {
	data, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("data:"))
	if !ok {
		return
	}
	data = bytes.TrimSpace(data)
	if bytes.Contains(data, []byte(`"completion_tokens"`)) {
		if n := completionTokens(data); n > 0 {
			b.usage = n
		}
	}
	if bytes.Contains(data, []byte(`"content":"`)) && !bytes.Contains(data, []byte(`"content":""`)) ||
		bytes.Contains(data, []byte(`"text":"`)) && !bytes.Contains(data, []byte(`"text":""`)) {
		b.chunks++
	}
}

// completionTokens is usage.completion_tokens of the JSON object data, or
// 0. Only the usage member is decoded: a whole answer is not.
func completionTokens(data []byte) int64 {
	if !bytes.Contains(data, []byte(`"completion_tokens"`)) || !json.Valid(data) {
		return 0
	}
	start, end, ok, err := memberSpan(data, "usage")
	if err != nil || !ok {
		return 0
	}
	var u struct {
		CompletionTokens int64 `json:"completion_tokens"`
	}
	if json.Unmarshal(data[start:end], &u) != nil {
		return 0
	}
	return u.CompletionTokens
}

// finish records the sample once, when the answer has been read whole.
func (b *meterBody) finish() {
	if b.done {
		return
	}
	b.done = true
	end := b.m.g.opts.Now()
	ttft := end
	if b.m.stream && !b.first.IsZero() {
		ttft = b.first
	}
	tokens := b.usage
	if !b.m.stream {
		tokens = completionTokens(b.kept)
	} else if tokens == 0 {
		tokens = b.chunks
	}
	s := registry.PerformanceSample{
		TTFTMS:          float64(ttft.Sub(b.m.began).Microseconds()) / 1000,
		TokensGenerated: tokens,
		DurationMS:      float64(end.Sub(b.m.began).Microseconds()) / 1000,
	}
	b.m.g.metrics.sample(b.m.name, b.m.stream, s)
	b.m.g.perf.add(b.m.name, s)
}

// perfBuffer holds samples until they are saved.
type perfBuffer struct {
	mu      sync.Mutex
	pending map[string][]registry.PerformanceSample
}

func newPerfBuffer() *perfBuffer {
	return &perfBuffer{pending: map[string][]registry.PerformanceSample{}}
}

func (p *perfBuffer) add(name string, s registry.PerformanceSample) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending[name] = append(p.pending[name], s)
}

func (p *perfBuffer) take() map[string][]registry.PerformanceSample {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.pending
	p.pending = map[string][]registry.PerformanceSample{}
	return out
}

// flushPerformance saves the samples measured since the last save into
// the entries' performance blocks (one locked save).
func (g *Gateway) flushPerformance(ctx context.Context) error {
	samples := g.perf.take()
	if len(samples) == 0 {
		return nil
	}
	return g.l.RecordPerformance(ctx, samples)
}

// flusher saves performance every FlushEvery.
func (g *Gateway) flusher() {
	defer g.done.Done()
	g.every(g.opts.FlushEvery, func() {
		if err := g.flushPerformance(context.Background()); err != nil {
			g.log.Warn("saving measured performance failed", "error", err)
		}
	})
}
