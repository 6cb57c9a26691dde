package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/internal/servetest"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
	"github.com/imageworks-ai/loader/warm"
)

// crashName is the plugin that dies in the middle of every Resolve (the
// test binary as imageworks-backend-crashy, see TestMain).
const crashName = "crashy"

// crashing is crashName's backend: its process exits during Resolve.
type crashing struct{}

func (crashing) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: crashName}, nil }
func (crashing) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	os.Exit(3)
	return sdk.Resolution{}, nil
}

// selectBodies are the selects each failure is asked through: by name and
// by role, with and without a live check.
var selectBodies = []string{
	`{"name": "m"}`,
	`{"name": "m", "live": true}`,
	`{"role": "r"}`,
	`{"role": "r", "live": true}`,
}

// pluginHandlers returns handlers over the registry in dir whose plugins
// come from pluginDir through a real plugin host: "serve" as serve builds
// it (a warm pool, the select cache on its epoch), and "loader" over a
// Loader's own host, without a select cache.
func pluginHandlers(t *testing.T, dir, pluginDir string) map[string]http.Handler {
	t.Helper()
	opts := core.Options{RegistryDir: dir, PluginDirs: []string{pluginDir}, Getenv: func(string) string { return "" }}
	host := core.PluginHostOptions(opts)
	host.StartTimeout = 20 * time.Second
	pool := warm.New(warm.Options{Host: host})
	t.Cleanup(func() { _ = pool.Close() })
	out := map[string]http.Handler{}
	for kind, src := range map[string]core.BackendSource{"serve": pool, "loader": nil} {
		o := opts
		o.Source = src
		l, err := core.Open(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		ho := Options{OpenWriter: func(ctx context.Context) (*core.Loader, error) { return core.Open(ctx, o) }}
		if src != nil {
			ho.Epoch = pool.Epoch
		}
		out[kind] = New(l, ho)
	}
	return out
}

// TestSelectPluginFailures: a select whose plugin is missing, not trusted
// or crashes is a 502 saying so, never a 200,
// whether serve answers it (warm pool, select cache) or a handler over a
// plain Loader, by name or role, live or not.
func TestSelectPluginFailures(t *testing.T) {
	pdir := t.TempDir()
	for _, name := range []string{servetest.Name, crashName} {
		bin := plugintest.CopySelf(t, name)
		if err := os.Rename(bin, filepath.Join(pdir, filepath.Base(bin))); err != nil {
			t.Fatal(err)
		}
	}
	// Pins servetest to a SHA-256 its binary does not have.
	pins := pluginhost.PinFile{Format: 1, Plugins: map[string]pluginhost.PinnedPlugin{
		servetest.Name: {Version: "1", SHA256: map[string]string{runtime.GOOS + "/" + runtime.GOARCH: strings.Repeat("0", 64)}},
	}}
	pinned, err := pins.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, backend string
		pins          []byte
		detail        string // a part of the detail
	}{
		{"missing", "absent", nil, "plugin imageworks-backend-absent not found"},
		{"not trusted", servetest.Name, pinned, pluginhost.ErrPluginUntrusted.Error() + ": its SHA-256 is"},
		{"crashed", crashName, nil, pluginhost.ErrPluginCrashed.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeCurated(t, fmt.Sprintf(`[{"name": "m", "backend": %q, "roles": ["r"]}]`, tt.backend))
			if tt.pins != nil {
				if err := os.WriteFile(filepath.Join(dir, core.PluginPinFile), tt.pins, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for kind, h := range pluginHandlers(t, dir, pdir) {
				for _, body := range selectBodies {
					code, out := call(t, h, "POST", "/v1/select", body)
					if code != http.StatusBadGateway || !strings.Contains(detailOf(t, out), tt.detail) {
						t.Errorf("%s: POST /v1/select %s = %d %s, want 502 with %q", kind, body, code, out, tt.detail)
					}
				}
			}
		})
	}
}

// resolveFailing is a backend whose Resolve fails with err.
type resolveFailing struct{ err error }

func (resolveFailing) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: "failing"}, nil }
func (b resolveFailing) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{}, b.err
}

// notServing is a backend whose live check finds its server up but not
// serving the model.
type notServing struct{}

func (notServing) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: "unserved"}, nil }
func (notServing) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := sdk.Resolution{Endpoint: "http://127.0.0.1:9/v1", InternalModelID: req.Entry.Name}
	if req.Live {
		res.Live = &sdk.HealthStatus{Up: true, Models: []sdk.ModelStatus{{ID: "another", Served: true}}}
	}
	return res, nil
}

// TestSelectFailureClasses: each class of select failure has its status,
// with the select cache (as serve) and without, by name and by role, live
// or not: unknown 404, capability or ambiguous alias 409, a backend
// neither in process nor a plugin 502, a model server down or not serving the model 503.
func TestSelectFailureClasses(t *testing.T) {
	dir := writeCurated(t, `[
  {"name": "ok", "backend": "servetest", "roles": ["ok-role"]},
  {"name": "a1", "backend": "servetest", "model_aliases": ["twin"]},
  {"name": "a2", "backend": "servetest", "model_aliases": ["twin"]},
  {"name": "down", "backend": "ollama", "backend_config": {"port": 1}, "roles": ["down-role"]},
  {"name": "unavailable", "backend": "unavailable", "roles": ["unavailable-role"]},
  {"name": "unserved", "backend": "unserved", "roles": ["unserved-role"]},
  {"name": "nobackend", "backend": "nosuch", "roles": ["nobackend-role"]}
]`)
	backends := inProcess()
	backends["unavailable"] = resolveFailing{fmt.Errorf("unavailable: connecting to 127.0.0.1:1: %w", sdk.ErrUnavailable)}
	backends["unserved"] = notServing{}
	opts := core.Options{RegistryDir: dir, Backends: backends, Getenv: func(string) string { return "" }}
	l, err := core.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var epoch atomic.Uint64
	handlers := map[string]http.Handler{"cached": New(l, Options{Epoch: epoch.Load}), "plain": New(l, Options{})}
	tests := []struct {
		body   string
		code   int
		detail string // a part of the detail
	}{
		{`{"name": "nope"}`, 404, `"Model 'nope' not found in registry"`},
		{`{"name": "nope", "live": true}`, 404, `"Model 'nope' not found in registry"`},
		{`{"name": "ok", "require_capabilities": ["vision"]}`, 409, "Model 'ok' is missing required capabilities: vision"},
		{`{"name": "ok", "require_capabilities": ["vision"], "live": true}`, 409, "Model 'ok' is missing required capabilities: vision"},
		{`{"role": "ok-role", "require_capabilities": ["vision"]}`, 409, `no model has role "ok-role" with capabilities vision`},
		{`{"role": "ok-role", "require_capabilities": ["vision"], "live": true}`, 409, `no model has role "ok-role" with capabilities vision`},
		{`{"name": "twin"}`, 409, `"a1" and "a2" list it`},
		{`{"name": "twin", "live": true}`, 409, `"a1" and "a2" list it`},
		{`{"name": "nobackend"}`, 502, "plugin imageworks-backend-nosuch not found"},
		{`{"name": "nobackend", "live": true}`, 502, "plugin imageworks-backend-nosuch not found"},
		{`{"role": "nobackend-role"}`, 502, "plugin imageworks-backend-nosuch not found"},
		{`{"role": "nobackend-role", "live": true}`, 502, "plugin imageworks-backend-nosuch not found"},
		{`{"name": "down", "live": true}`, 503, "down: server at http://localhost:1/v1: server down"},
		{`{"role": "down-role", "live": true}`, 503, "down: server at http://localhost:1/v1: server down"},
		{`{"name": "unserved", "live": true}`, 503, `does not serve "unserved": model not served`},
		{`{"role": "unserved-role", "live": true}`, 503, `does not serve "unserved": model not served`},
		{`{"name": "unavailable"}`, 503, "server unavailable"},
		{`{"name": "unavailable", "live": true}`, 503, "server unavailable"},
		{`{"role": "unavailable-role"}`, 503, "server unavailable"},
		{`{"role": "unavailable-role", "live": true}`, 503, "server unavailable"},
	}
	for kind, h := range handlers {
		for _, tt := range tests {
			code, out := call(t, h, "POST", "/v1/select", tt.body)
			if code != tt.code || !strings.Contains(detailOf(t, out), tt.detail) {
				t.Errorf("%s: POST /v1/select %s = %d %s, want %d with %q", kind, tt.body, code, out, tt.code, tt.detail)
			}
		}
	}
}
