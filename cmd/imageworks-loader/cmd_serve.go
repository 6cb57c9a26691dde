package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/imageworks-ai/loader/internal/safefile"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/httpapi"
	"github.com/imageworks-ai/loader/internal/portholder"
	"github.com/imageworks-ai/loader/warm"
)

// envAPIToken holds serve's bearer token.
const envAPIToken = "IMAGEWORKS_API_TOKEN"

// ServeCmd is `serve`.
type ServeCmd struct {
	Listen    string        `default:"127.0.0.1:8765" help:"Address to listen on: HOST:PORT, :PORT (every interface) or a bare PORT (127.0.0.1:PORT). Anything but a loopback address needs a token (IMAGEWORKS_API_TOKEN or --token-file)."`
	TokenFile string        `name:"token-file" type:"path" help:"File holding the bearer token every route but /healthz then requires (instead of IMAGEWORKS_API_TOKEN)."`
	ImageRoot string        `name:"image-root" type:"path" help:"Folder a probe's image_path must lie in; without it image_path is refused (send the image in the body instead)."`
	AccessLog bool          `name:"access-log" default:"true" negatable:"" help:"One log line per request on stderr (never bodies or tokens)."`
	Drain     time.Duration `default:"8s" help:"On SIGTERM or Ctrl-C, how long in-flight requests may finish before the server closes."`
}

// Run serves until a signal ends ctx, then drains in-flight requests,
// stops every plugin and returns nil.
func (c *ServeCmd) Run(ctx context.Context, a *App, opts core.Options) error {
	token, err := c.token(a.Env.Getenv)
	if err != nil {
		return err
	}
	addr := listenAddr(c.Listen)
	if token == "" && !loopback(addr) {
		return fmt.Errorf("--listen %s is not a loopback address: set a bearer token first (%s or --token-file)", addr, envAPIToken)
	}
	if c.ImageRoot != "" {
		if fi, err := os.Stat(c.ImageRoot); err != nil || !fi.IsDir() {
			return fmt.Errorf("--image-root %s: not a readable folder", c.ImageRoot)
		}
	}
	// The server's life is not ctx's: a signal starts the drain instead of
	// killing the plugins under in-flight requests.
	life := context.WithoutCancel(ctx)
	l, pool, closeWarm, err := openWarm(life, a, opts)
	if err != nil {
		return err
	}
	defer closeWarm()

	access := hclog.NewNullLogger()
	if c.AccessLog {
		access = newLogger(hclog.Info, a.Env.Stderr, a.secrets).Named("http")
	}
	api := httpapi.New(l, httpapi.Options{
		Version:    version,
		Token:      token,
		ImageRoot:  c.ImageRoot,
		OpenWriter: func(ctx context.Context) (*core.Loader, error) { return core.Open(ctx, opts) },
		Logger:     access,
		Collectors: []prometheus.Collector{pool},
		Epoch:      pool.Epoch,
	})
	stopPublishing := a.publishHost(life, l, func() core.ObserveOptions {
		return core.ObserveOptions{Serve: publishedURL(l, addr, "")}
	})
	defer stopPublishing()
	return listenAndServe(ctx, a, scrubbing(api, l, a.secrets), addr, c.Drain, 2*time.Minute, "serving the registry on http://%s")
}

// openWarm opens a Loader over a warm plugin pool, for a long-lived server
// (serve, gateway): its own Loader, not a.opener's, so the registry's keys
// are scrubbed from every log line, also the keys of entries added while
// it serves (see scrubbing). close closes the Loader, then the pool.
func openWarm(ctx context.Context, a *App, opts core.Options) (*core.Loader, *warm.Pool, func(), error) {
	pool := warm.New(warm.Options{Host: core.PluginHostOptions(opts), Logger: a.Log.Named("warm")})
	opts.Source = pool
	l, err := core.Open(ctx, opts)
	if err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	a.secrets.setLive(l.Secrets(ctx))
	return l, pool, func() { l.Close(); pool.Close() }, nil
}

// listenAndServe serves h on addr (its one line on stderr, announce with
// the address) until ctx ends, then lets in-flight requests finish for up
// to drain and returns nil; a failure to listen or serve is its error.
// readTimeout bounds reading a whole request (0: the handler sets its own
// read deadline, as the gateway does: a connection-wide one would cancel
// answers that stream for longer).
func listenAndServe(ctx context.Context, a *App, h http.Handler, addr string, drain, readTimeout time.Duration, announce string) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          a.Log.Named("http").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError(ctx, addr, err)
	}
	fmt.Fprintf(a.Env.Stderr, "%s: "+announce+"\n", toolName, ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", addr, err)
	case <-ctx.Done():
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	if err := srv.Shutdown(dctx); err != nil {
		a.Log.Warn("in-flight requests did not finish in time; closing them", "drain", drain)
		_ = srv.Close()
	}
	<-served
	return nil
}

// scrubbing is h, which first brings the stderr scrub's list of the
// registry's credentials up to date: the registry is re-read when its
// files change, and a key it gains must be masked in every line logged
// from then on (the access log's path is scrubbed by httpapi itself).
func scrubbing(h http.Handler, l *core.Loader, secrets *knownSecrets) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secrets.setLive(l.Secrets(context.WithoutCancel(r.Context())))
		h.ServeHTTP(w, r)
	})
}

// token reads the bearer token: --token-file, else IMAGEWORKS_API_TOKEN.
func (c *ServeCmd) token(getenv func(string) string) (string, error) {
	return readToken(c.TokenFile, getenv)
}

// readToken reads a bearer token from file, else IMAGEWORKS_API_TOKEN.
func readToken(file string, getenv func(string) string) (string, error) {
	if file == "" {
		return strings.TrimSpace(getenv(envAPIToken)), nil
	}
	data, _, err := safefile.ReadFile(file) // a FIFO or device is refused, never waited on
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok := strings.TrimSpace(string(data))
	if tok == "" {
		return "", errors.New("--token-file " + file + ": the file is empty")
	}
	return tok, nil
}

// listenAddr is the address --listen names: a bare port number is that
// port on 127.0.0.1 (":PORT" keeps its usual meaning, every interface).
func listenAddr(listen string) string {
	if _, err := strconv.ParseUint(listen, 10, 16); err == nil {
		return net.JoinHostPort("127.0.0.1", listen)
	}
	return listen
}

// busyPortError is a --listen address whose port another process holds.
type busyPortError struct {
	addr, port string
	holder     string // "pid N (NAME)", or "" when unknown
	err        error
}

func (e *busyPortError) Error() string {
	by := "another process"
	if e.holder != "" {
		by = e.holder
	}
	return fmt.Sprintf("--listen %s: port %s is already in use by %s", e.addr, e.port, by)
}

func (e *busyPortError) Unwrap() error { return e.err }

// listenError words a failure to listen on addr: a port in use is named
// with the process holding it where /proc shows it (internal/portholder).
func listenError(ctx context.Context, addr string, err error) error {
	_, port, splitErr := net.SplitHostPort(addr)
	n, atoiErr := strconv.Atoi(port)
	if !errors.Is(err, syscall.EADDRINUSE) || splitErr != nil || atoiErr != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	busy := &busyPortError{addr: addr, port: port, err: err}
	if h, ok := portholder.Find(ctx, n); ok {
		busy.holder = fmt.Sprintf("pid %d (%s)", h.PID, h.Name)
	}
	return busy
}

// loopback reports whether addr (host:port) listens on loopback only:
// "localhost" or a loopback IP. An empty host means every interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
