// Package plugintest is a conformance kit for backend plugins. A plugin
// author runs it from an ordinary Go test:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, mybackend.New())
//	}
//
//	func TestConformanceBinary(t *testing.T) {
//		bin := filepath.Join(t.TempDir(), "imageworks-backend-mine")
//		// go build -o bin . (see examples/backend-llamacpp)
//		plugintest.RunBinary(t, bin)
//	}
//
// Run serves the backend in the test's process (the way sdk.Serve's debug
// mode does) and talks to it through go-plugin and the protocol's real gRPC
// adapters, so what is checked is what a host sees, not what the Go methods
// return. RunBinary starts a built plugin executable, in Go or any other
// language (docs/plugin-protocol.md), through the real plugin host,
// core/pluginhost, exactly as imageworks-loader does.
//
// The checks, each a subtest:
//
//   - Info: the name is non-empty and lower-case (letters, digits, inner
//     dashes), the version is non-empty, the protocols include
//     sdk.ProtocolVersion, the default port is a TCP port, Implements is
//     sorted, without duplicates, and names only optional calls.
//   - Implements: a call not in Implements answers sdk.ErrNotImplemented;
//     a call in it does not.
//   - Resolve: with no live check and nothing else known, the endpoint rules
//     of the registry format, using Info's default port: base_url (trimmed,
//     trailing slashes removed) wins; else a host that is an http(s) URL is
//     used as is (trailing slashes removed); else
//     http://{host or localhost}:{port or default}/v1. The internal model id
//     is served_model_id, else the logical name.
//   - ResolveOffline: Resolve without a live check makes no connection,
//     not even to the entry's own server.
//   - UnknownFields: keys the host does not know in Entry.Raw, and odd
//     shapes of known ones, change nothing.
//   - Unreachable: the optional calls a backend implements, pointed at a
//     closed port, return promptly and report the server as unavailable
//     (an error wrapping sdk.ErrUnavailable, or Health's Up false), and
//     neither errors nor notes show the API key the calls carry.
//   - Cancellation: every call returns promptly with an already-cancelled
//     context, and a call waiting on a server that never answers gives up
//     its connection promptly once its context is cancelled.
//   - ResolveLive: Resolve with a live check of a server that is down
//     succeeds and reports Live.Up false: a down server is an answer, not
//     an error (a backend without Health may leave Live unset).
//   - HealthModels: every Health answer, of a server that is down and of a
//     stand-in answering like a healthy OpenAI-compatible server, holds one
//     status per model asked, with its id, in request order.
//   - Panics: no call panicked in the plugin during the run, not even one
//     the kit had cancelled and stopped waiting for: no call failed with a
//     panic sdk.Serve recovered, and the plugin logged no "backend
//     panicked" (sdk.Serve's record of such a panic, which alone shows one
//     in a call whose caller is gone); with RunBinary, its stderr shows no
//     Go panic trace either (a panic in a goroutine of the plugin's own,
//     which kills it). The check first lets the calls the kit gave up on
//     finish: in process it waits until the plugin serves no call; a
//     binary's calls cannot be seen, so it waits until the promptness
//     (WithPromptness) has passed since the kit last cancelled one.
//
// The checks never need a real model server: they use closed ports and
// local stand-in servers only.
package plugintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// Option changes what the kit checks.
type Option func(*config)

type config struct {
	name      string
	prompt    time.Duration
	skipRules bool
}

// WithName makes the kit require that Info's name is name. RunBinary
// requires the NAME of the executable's file name anyway.
func WithName(name string) Option {
	return func(c *config) { c.name = name }
}

// WithPromptness sets how soon a cancelled call must return and how soon an
// unreachable server must be reported; the default is 3 seconds.
func WithPromptness(d time.Duration) Option {
	return func(c *config) { c.prompt = d }
}

// WithoutEndpointRules skips the Resolve check, for a backend whose
// endpoints do not follow the OpenAI-compatible rules (it must say so in its
// documentation).
func WithoutEndpointRules() Option {
	return func(c *config) { c.skipRules = true }
}

func newConfig(opts []Option) config {
	c := config{prompt: 3 * time.Second}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Run checks b through the plugin protocol, in this process: b is served as
// sdk.Serve's debug mode serves it and reached through go-plugin and the
// host-side adapter. Failures are reported through t.
func Run(t *testing.T, b sdk.Backend, opts ...Option) {
	t.Helper()
	p := &panics{}
	runChecks(t, newSuite(serveInProcess(t, b, p), newConfig(opts), p))
}

// RunBinary checks the plugin executable at path through the real plugin
// host (core/pluginhost), which starts it as imageworks-loader would. The
// file must be named imageworks-backend-NAME (optionally with a _vX.Y.Z
// suffix and, on Windows, .exe); Info's name must be NAME. The host is
// closed, and the plugin killed, when the test ends.
func RunBinary(t *testing.T, path string, opts ...Option) {
	t.Helper()
	b, p := startBinary(t, path)
	name, _ := nameFromPath(path) // startBinary checked it
	runChecks(t, newSuite(b, newConfig(append([]Option{WithName(name)}, opts...)), p))
}

// startBinary starts the plugin executable at path through the real plugin
// host and returns its backend and the record of panics its stderr shows.
// The host is closed, and the plugin killed, when the test ends.
func startBinary(t *testing.T, path string) (host.Remote, *panics) {
	t.Helper()
	name, err := nameFromPath(path)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(abs)
	p := &panics{}
	h := pluginhost.New(pluginhost.Options{
		Dirs:          []string{dir},
		ExecutableDir: dir,
		Getenv:        isolatedGetenv,
		Logger:        (&logWatch{p: p}).logger(),
	})
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("closing the plugin host: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := h.Backend(ctx, name)
	if err != nil {
		t.Fatalf("starting plugin %s: %v", abs, err)
	}
	remote, ok := b.(host.Remote)
	if !ok {
		t.Fatalf("plugin host gave %T for %s, want a host.Remote", b, abs)
	}
	return remote, p
}

// isolatedGetenv hides the variables that would make the host use another
// plugin than the one under test.
func isolatedGetenv(key string) string {
	switch key {
	case host.ReattachEnv, "IMAGEWORKS_PLUGIN_PATH":
		return ""
	}
	return os.Getenv(key)
}

// nameRE is a backend name: lower-case words of letters and digits joined by
// hyphens. Compiled once and never changed.
var nameRE = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// nameFromPath returns the NAME of a plugin executable's path, by the very
// rule the host discovers plugins with.
func nameFromPath(path string) (string, error) {
	name, _, ok := pluginhost.ParseFileName(path)
	if !ok {
		return "", fmt.Errorf("plugin executable %s: want a file named imageworks-backend-NAME[_vX.Y.Z]", path)
	}
	return name, nil
}

// serveInProcess serves b with sdk.ServeDebug and returns the host-side
// adapter connected to it through go-plugin. Both stop when the test ends.
// The plugin's log records, which still go to stderr, and the calls it
// serves are watched for p.
func serveInProcess(t *testing.T, b sdk.Backend, p *panics) host.Remote {
	t.Helper()
	ctx, cancel := context.WithCancel(wire.WithWatch(context.Background(), &wire.Watch{
		Log:   &logWatch{p: p, tee: os.Stderr},
		Begin: p.calls.watchPlugin(),
	}))
	line, done, err := sdk.ServeDebug(ctx, b)
	if err != nil {
		cancel()
		t.Fatalf("serving the backend: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})
	configs, err := host.ParseReattach(line)
	if err != nil {
		t.Fatalf("reattach line of sdk.ServeDebug: %v", err)
	}
	if len(configs) != 1 {
		t.Fatalf("reattach line of sdk.ServeDebug names %d backends, want 1: %s", len(configs), line)
	}
	var rc *plugin.ReattachConfig
	for _, c := range configs {
		rc = c
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  host.Handshake(),
		VersionedPlugins: host.PluginSets(),
		// go-plugin ignores VersionedPlugins when reattaching.
		Plugins:          host.PluginSets()[rc.ProtocolVersion],
		Reattach:         rc,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	t.Cleanup(client.Kill)
	conn, err := client.Client()
	if err != nil {
		t.Fatalf("connecting to the backend: %v", err)
	}
	remote, err := host.DispenseRemote(conn)
	if err != nil {
		t.Fatalf("connecting to the backend: %v", err)
	}
	return remote
}
