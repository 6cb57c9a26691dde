package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
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
	code, out := call(t, h, "POST", "/v1/select", `{"name": "cap-a", "live": true}`)
	live, _ := decode[map[string]any](t, out)["live"].(map[string]any)
	if code != 200 || live["up"] != true || live["served"] != true {
		t.Errorf("POST /v1/select live = %d %s, want a live check that found it served", code, out)
	}
	// By name the answer keeps the Python service's four keys.
	_, out = call(t, h, "POST", "/v1/select", `{"name": "cap-a"}`)
	if m := decode[map[string]any](t, out); len(m) != 4 {
		t.Errorf("POST /v1/select by name = %s, want exactly the Python service's keys", out)
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
	if e, _ := l.Registry().Get(context.Background(), "m"); !e.VersionLock().Locked {
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
