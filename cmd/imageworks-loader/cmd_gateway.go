package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/gateway"
)

// GatewayCmd is `gateway`.
type GatewayCmd struct {
	Listen    string            `default:"127.0.0.1:8100" env:"CHAT_PROXY_LISTEN" help:"Address to listen on (a bare port means 127.0.0.1:PORT). Anything but a loopback address needs a token (IMAGEWORKS_API_TOKEN or --token-file)."`
	TokenFile string            `name:"token-file" type:"path" help:"File holding the bearer token every route but /v1/health then requires (instead of IMAGEWORKS_API_TOKEN)."`
	IdleTTL   time.Duration     `name:"idle-ttl" default:"30m" help:"Stop a server the gateway started after this long unused (0: never)."`
	TTL       map[string]string `name:"ttl" mapsep:"," help:"An idle TTL of its own for a model, NAME=DURATION (repeatable)."`
	Pin       []string          `name:"pin" predictor:"model" help:"Start this model with the gateway and never swap it out or stop it while the gateway runs (repeatable)."`
	QueueWait time.Duration     `name:"queue-wait" default:"180s" help:"How long a request may wait for its model's server to start or swap in; past it, 503 with Retry-After."`
	Wait      time.Duration     `env:"IMAGEWORKS_START_TIMEOUT" default:"180s" help:"How long a server may take to be ready."`
	Drain     time.Duration     `default:"30s" help:"On SIGTERM or Ctrl-C, how long in-flight requests may finish before the gateway closes."`
	AccessLog bool              `name:"access-log" default:"true" negatable:"" help:"One log line per request on stderr (never bodies or tokens)."`
	SlotFlags
}

// Run serves until a signal ends ctx, then drains in-flight requests,
// saves the measured performance, stops the servers it started and every
// plugin, and returns nil.
func (c *GatewayCmd) Run(ctx context.Context, a *App, opts core.Options) error {
	token, err := readToken(c.TokenFile, a.Env.Getenv)
	if err != nil {
		return err
	}
	addr := listenAddr(c.Listen)
	if token == "" && !loopback(addr) {
		return fmt.Errorf("--listen %s is not a loopback address: set a bearer token first (%s or --token-file)", addr, envAPIToken)
	}
	ttl := map[string]time.Duration{}
	for name, v := range c.TTL {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("--ttl %s=%s: not a duration such as 10m", name, v)
		}
		ttl[name] = d
	}
	life := context.WithoutCancel(ctx)
	l, _, closeWarm, err := openWarm(life, a, opts)
	if err != nil {
		return err
	}
	defer closeWarm()
	lc := c.options(a, c.Wait)
	lc.Supervisor.PollInterval = 0 // the gateway's own: a swap costs its load time plus at most 10 ms
	gw, err := gateway.New(life, l, gateway.Options{
		Lifecycle: lc,
		IdleTTL:   c.IdleTTL,
		TTL:       ttl,
		Pinned:    c.Pin,
		QueueWait: c.QueueWait,
		Token:     token,
		Logger:    a.Log.Named("gateway"),
	})
	if err != nil {
		return err
	}
	var h http.Handler = gw
	if c.AccessLog {
		h = accessLog(gw, newLogger(hclog.Info, a.Env.Stderr, a.secrets).Named("gateway"))
	}
	stopPublishing := a.publishHost(life, l, func() core.ObserveOptions {
		return core.ObserveOptions{Gateway: publishedURL(l, addr, "/v1"), Lifecycle: lc, Slots: gw.Running()}
	})
	err = listenAndServe(ctx, a, scrubbing(h, l, a.secrets), addr, c.Drain, 0, "gateway on http://%s/v1")
	stopPublishing()
	// Drained (or never listening): save what was measured and stop the
	// servers the gateway started, whatever ended the serving.
	cctx, cancel := context.WithTimeout(life, c.StopTimeout+10*time.Second)
	defer cancel()
	if cerr := gw.Close(cctx); cerr != nil {
		a.Log.Warn("closing the gateway", "error", cerr)
	}
	return err
}

// accessLog logs one line per request: method, path, status, duration and
// the model header the gateway set; never bodies or tokens.
func accessLog(h http.Handler, log hclog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		args := []any{"status", sw.status, "ms", time.Since(start).Milliseconds()}
		if m := w.Header().Get(gateway.HeaderModel); m != "" {
			args = append(args, "model", m)
		}
		log.Info(r.Method+" "+strings.SplitN(r.URL.RequestURI(), "?", 2)[0], args...)
	})
}

// statusWriter remembers the status written, and flushes through.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
