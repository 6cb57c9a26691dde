package httpapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/internal/servetest"
	"github.com/imageworks-ai/loader/sdk"
)

const rolesRegistry = `[
  {"name": "cap-a", "backend": "servetest", "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 5}},
  {"name": "cap-b", "backend": "servetest", "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 9}},
  {"name": "blind", "backend": "servetest", "roles": ["caption"], "role_priority": {"caption": 99}}
]`

func TestSelectByRoleAndLive(t *testing.T) {
	h, _, _ := handlerFor(t, writeCurated(t, rolesRegistry), Options{})
	tests := []struct {
		body, wantName string
		code           int
	}{
		{`{"role": "caption"}`, "cap-b", 200},
		{`{"role": "caption", "prefer": ["cap-a"]}`, "cap-a", 200},
		{`{"role": "caption", "prefer": ["blind"]}`, "cap-b", 200}, // blind lacks vision
		{`{"role": "narration"}`, "", 409},
		{`{"role": "caption", "prefer": "cap-a"}`, "", 422},
	}
	for _, tt := range tests {
		code, out := call(t, h, "POST", "/v1/select", tt.body)
		if code != tt.code {
			t.Errorf("POST /v1/select %s = %d %s, want %d", tt.body, code, out, tt.code)
			continue
		}
		if code == 200 {
			if got := decode[map[string]any](t, out)["logical_name"]; got != tt.wantName {
				t.Errorf("POST /v1/select %s chose %v, want %s", tt.body, got, tt.wantName)
			}
		}
	}
	// A preferred name that names no entry is a 404 naming it, as an
	// unknown name is (Python's detail text), not a silently skipped one.
	code, out := call(t, h, "POST", "/v1/select", `{"role": "caption", "prefer": ["cap-c"]}`)
	if want := `"\"Model 'cap-c' not found in registry\""`; code != 404 || decode[map[string]any](t, out)["detail"] != "\"Model 'cap-c' not found in registry\"" {
		t.Errorf("POST /v1/select with an unknown preferred name = %d %s, want 404 with detail %s", code, out, want)
	}
	code, out = call(t, h, "POST", "/v1/select", `{"name": "cap-a", "live": true}`)
	live, _ := decode[map[string]any](t, out)["live"].(map[string]any)
	if code != 200 || live["up"] != true || live["served"] != true {
		t.Errorf("POST /v1/select live = %d %s, want a live check that found it served", code, out)
	}
}

// TestSelectSameKeys holds select by name and by role to one answer: the
// Python service's four keys and logical_name (plus notes and live when a
// live check was asked for), from the cache or not.
func TestSelectSameKeys(t *testing.T) {
	dir := writeCurated(t, `[{"name": "cap-a", "backend": "servetest", "capabilities": {"vision": true}, "roles": ["caption"], "model_aliases": ["the-captioner"]}]`)
	plain, _, _ := handlerFor(t, dir, Options{})
	var epoch atomic.Uint64
	cached, _, _ := handlerFor(t, dir, Options{Epoch: epoch.Load})
	keys := func(h http.Handler, body string) string {
		t.Helper()
		code, out := call(t, h, "POST", "/v1/select", body)
		m := decode[map[string]any](t, out)
		if code != 200 || m["logical_name"] != "cap-a" {
			t.Fatalf("POST /v1/select %s = %d %s, want 200 with logical_name cap-a", body, code, out)
		}
		return strings.Join(slices.Sorted(maps.Keys(m)), ",")
	}
	const want, wantLive = "backend,capabilities,endpoint,internal_model_id,logical_name", "backend,capabilities,endpoint,internal_model_id,live,logical_name,notes"
	for _, h := range []http.Handler{plain, cached} {
		for _, tt := range []struct{ body, want string }{
			{`{"name": "cap-a"}`, want},
			{`{"name": "cap-a"}`, want}, // the cached answer, when there is a cache
			{`{"name": "the-captioner"}`, want},
			{`{"role": "caption"}`, want},
			{`{"name": "cap-a", "live": true}`, wantLive},
			{`{"role": "caption", "live": true}`, wantLive},
		} {
			if got := keys(h, tt.body); got != tt.want {
				t.Errorf("POST /v1/select %s answers keys %s, want %s", tt.body, got, tt.want)
			}
		}
	}
}

func TestLockUnlock(t *testing.T) {
	model := modelDir(t, "weights")
	dir := writeCurated(t, fmt.Sprintf(`[{"name": "m", "backend": "vllm", "backend_config": {"model_path": %q}}]`, model))
	h, l, _ := handlerFor(t, dir, Options{})
	code, out := call(t, h, "POST", "/v1/lock", `{"name": "m", "set_expected": true}`)
	st := decode[map[string]any](t, out)
	if code != 200 || st["locked"] != true || len(fmt.Sprint(st["expected_aggregate_sha256"])) != 64 || st["changed"] != true {
		t.Fatalf("POST /v1/lock = %d %s", code, out)
	}
	if e, _ := l.Entry(context.Background(), "m"); !e.VersionLock().Locked {
		t.Error("the lock is not seen by the shared loader")
	}
	code, out = call(t, h, "POST", "/v1/unlock", `{"name": "m"}`)
	if code != 200 || decode[map[string]any](t, out)["locked"] != false {
		t.Fatalf("POST /v1/unlock = %d %s", code, out)
	}
	if code, out = call(t, h, "POST", "/v1/lock", `{"name": "nope"}`); code != 404 || detailOf(t, out) != `"Model 'nope' not found in registry"` {
		t.Errorf("POST /v1/lock nope = %d %s", code, out)
	}
	if code, _ = call(t, h, "POST", "/v1/lock", `{"name": "m", "set_expected": "yes"}`); code != 422 {
		t.Errorf("POST /v1/lock with set_expected a string = %d, want 422", code)
	}
}

func TestBackendsRoute(t *testing.T) {
	h, _, _ := handlerFor(t, writeCurated(t, `[{"name": "m", "backend": "vllm", "backend_config": {"port": 1}}]`), Options{})
	code, out := call(t, h, "GET", "/v1/backends", "")
	rows := decode[[]map[string]any](t, out)
	if code != 200 || len(rows) != 1 || rows[0]["backend"] != "vllm" || rows[0]["up"] != false {
		t.Errorf("GET /v1/backends = %d %s, want the one endpoint, down", code, out)
	}
}

func TestPrometheusMetrics(t *testing.T) {
	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "extra_total", Help: "x"})
	extra.Add(3)
	h, _, _ := corpus(t, Options{Collectors: []prometheus.Collector{extra}})
	call(t, h, "POST", "/v1/select", `{"name": "`+gemma+`"}`)
	call(t, h, "POST", "/v1/select", `{"name": "nope"}`)
	call(t, h, "GET", "/nowhere", "")
	_, out := call(t, h, "GET", "/metrics", "")
	for _, want := range []string{
		`imageworks_http_requests_total{code="200",route="/v1/select"} 1`,
		`imageworks_http_requests_total{code="404",route="/v1/select"} 1`,
		`imageworks_http_requests_total{code="404",route="unmatched"} 1`,
		`imageworks_http_request_duration_seconds_count{route="/v1/select"} 2`,
		`extra_total 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
	// Two handlers in one process have separate registries.
	h2, _, _ := corpus(t, Options{})
	if _, out := call(t, h2, "GET", "/metrics", ""); strings.Contains(string(out), `route="/v1/select"`) {
		t.Error("a second handler's metrics count the first's requests")
	}
}

// countingResolves counts Resolve calls of the backend it wraps.
type countingResolves struct {
	sdk.Backend
	n atomic.Int64
}

func (c *countingResolves) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	c.n.Add(1)
	return c.Backend.Resolve(ctx, req)
}

func TestSelectCache(t *testing.T) {
	dir := writeCurated(t, `[{"name": "m", "backend": "counted"}]`)
	cb := &countingResolves{Backend: servetest.New()}
	opts := core.Options{RegistryDir: dir, Backends: map[string]sdk.Backend{"counted": cb}}
	l, err := core.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var epoch atomic.Uint64
	h := New(l, Options{Epoch: epoch.Load})
	sel := func() string {
		t.Helper()
		code, out := call(t, h, "POST", "/v1/select", `{"name": "m"}`)
		if code != 200 {
			t.Fatalf("select = %d %s", code, out)
		}
		return string(out)
	}
	first := sel()
	if second := sel(); second != first || cb.n.Load() != 1 {
		t.Errorf("a second select = %s after %d Resolve calls, want the cached answer after 1", second, cb.n.Load())
	}
	epoch.Add(1) // a plugin (re)started
	sel()
	if cb.n.Load() != 2 {
		t.Errorf("select after the epoch changed made %d Resolve calls in all, want 2", cb.n.Load())
	}
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(`[{"name": "m", "backend": "counted", "served_model_id": "other-id"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := sel(); !strings.Contains(got, `"internal_model_id":"other-id"`) || cb.n.Load() != 3 {
		t.Errorf("select after an edit = %s (%d Resolve calls), want the edited entry resolved again", got, cb.n.Load())
	}
	if code, _ := call(t, h, "POST", "/v1/select", `{"name": "m", "live": true}`); code != 200 || cb.n.Load() != 4 {
		t.Errorf("a live select was answered from the cache")
	}
}

// TestCachedAnswersNotHTMLEscaped: the cached answers (GET /v1/models, a
// select with the select cache) are the bytes an uncached select gives,
// with &, < and > as they are, as Starlette writes them.
func TestCachedAnswersNotHTMLEscaped(t *testing.T) {
	const name = "a&b <x>"
	dir := writeCurated(t, `[{"name": "a&b <x>", "backend": "servetest"}]`)
	plain, _, _ := handlerFor(t, dir, Options{})
	var epoch atomic.Uint64
	cached, _, _ := handlerFor(t, dir, Options{Epoch: epoch.Load})
	_, want := call(t, plain, "POST", "/v1/select", `{"name": "a&b <x>"}`)
	if !strings.Contains(string(want), `"logical_name":"`+name+`"`) {
		t.Fatalf("uncached select = %s, want the name unescaped", want)
	}
	for range 2 { // filling the cache, then from it
		if _, got := call(t, cached, "POST", "/v1/select", `{"name": "a&b <x>"}`); string(got) != string(want) {
			t.Errorf("cached select = %s, want %s", got, want)
		}
	}
	if _, got := call(t, cached, "GET", "/v1/models", ""); !strings.Contains(string(got), `"name":"`+name+`"`) {
		t.Errorf("GET /v1/models = %s, want the name unescaped", got)
	}
}
