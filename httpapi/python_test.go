package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core"
)

// These tests are a client written against the Python service's shapes
// (the shared http-api.md table): they hold serve to them.

const gemma = "gemma3_27.0b_(Q3_K_M)"

func TestPythonRoot(t *testing.T) {
	h, _, _ := corpus(t, Options{Version: "0.1"})
	code, body := call(t, h, "GET", "/", "")
	if code != 200 || string(body) != `{"service":"imageworks-model-loader","version":"0.1"}` {
		t.Errorf("GET / = %d %s", code, body)
	}
}

func TestPythonModels(t *testing.T) {
	h, l, _ := corpus(t, Options{})
	code, body := call(t, h, "GET", "/v1/models", "")
	if code != 200 {
		t.Fatalf("GET /v1/models = %d %s", code, body)
	}
	var rows []map[string]json.RawMessage
	if err := json.Unmarshal(body, &rows); err != nil {
		t.Fatal(err)
	}
	entries := l.Entries(context.Background())
	if len(rows) != len(entries) || len(rows) != 16 {
		t.Fatalf("GET /v1/models has %d rows, want all %d entries", len(rows), len(entries))
	}
	for i, row := range rows {
		keys := slices.Sorted(mapsKeys(row))
		if want := []string{"backend", "capabilities", "display_name", "locked", "name", "vision_ok"}; !slices.Equal(keys, want) {
			t.Fatalf("row keys = %q, want %q", keys, want)
		}
		e := entries[i]
		var name, disp string
		var caps map[string]bool
		_ = json.Unmarshal(row["name"], &name)
		_ = json.Unmarshal(row["display_name"], &disp)
		_ = json.Unmarshal(row["capabilities"], &caps)
		if name != e.Name() || disp != e.DisplayName() || !reflect.DeepEqual(caps, e.Capabilities()) || string(row["vision_ok"]) != "null" {
			t.Errorf("row %d = %s, want entry %s normalised with vision_ok null", i, body, e.Name())
		}
	}
	// display_name falls back to the name; vision_ok reads probes.vision.
	dir := writeCurated(t, `[{"name": "bare", "backend": "vllm", "probes": {"vision": {"vision_ok": true}}}]`)
	h, _, _ = handlerFor(t, dir, Options{})
	_, body = call(t, h, "GET", "/v1/models", "")
	want := `[{"name":"bare","backend":"vllm","capabilities":{"audio":false,"embedding":false,"reasoning":false,"text":true,"thinking":false,"tools":false,"vision":false},"locked":false,"vision_ok":true,"display_name":"bare"}]`
	if string(body) != want {
		t.Errorf("GET /v1/models = %s, want %s", body, want)
	}
}

func mapsKeys(m map[string]json.RawMessage) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestPythonSelect(t *testing.T) {
	h, l, _ := corpus(t, Options{})
	sel, err := l.Select(context.Background(), gemma, core.SelectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The Python service's four keys, and the logical name every select answers.
	wantSel, _ := json.Marshal(map[string]any{"logical_name": gemma, "endpoint": sel.Endpoint, "backend": sel.Backend, "internal_model_id": sel.InternalModelID, "capabilities": sel.Capabilities})
	tests := []struct {
		body       string
		code       int
		want       string // whole body, or detail when it starts with "detail:"
		wantDetail string
	}{
		{body: `{"name": "` + gemma + `"}`, code: 200, want: string(wantSel)},
		{body: `{"name": "` + gemma + `", "require_capabilities": []}`, code: 200, want: string(wantSel)},
		{body: `{"name": "` + gemma + `", "require_capabilities": null}`, code: 200, want: string(wantSel)},
		{body: `{"name": "` + gemma + `", "require_capabilities": ["text", "chat"]}`, code: 200, want: string(wantSel)},
		{body: `{"name": "nope"}`, code: 404, wantDetail: `"Model 'nope' not found in registry"`},
		{body: `{"name": "nope", "require_capabilities": ["vision"]}`, code: 404, wantDetail: `"Model 'nope' not found in registry"`},
		{body: `{"name": "` + gemma + `", "require_capabilities": ["Vision", "audio"]}`, code: 409, wantDetail: "Model '" + gemma + "' is missing required capabilities: Vision, audio"},
		// As the client spelled them: the Python service changes no letter.
		{body: `{"name": "` + gemma + `", "require_capabilities": ["vision", "text", "audio"]}`, code: 409, wantDetail: "Model '" + gemma + "' is missing required capabilities: vision, audio"},
		{body: `{"name": "` + gemma + `", "require_capabilities": ["vision"]}`, code: 409, wantDetail: "Model '" + gemma + "' is missing required capabilities: vision"},
		{body: `{"name": "` + gemma + `", "require_capabilities": ["teleportation"]}`, code: 409, wantDetail: "Model '" + gemma + "' is missing required capabilities: teleportation"},
	}
	for _, tt := range tests {
		code, body := call(t, h, "POST", "/v1/select", tt.body)
		if code != tt.code {
			t.Errorf("POST /v1/select %s = %d %s, want %d", tt.body, code, body, tt.code)
			continue
		}
		if tt.wantDetail != "" {
			if d := detailOf(t, body); d != tt.wantDetail {
				t.Errorf("POST /v1/select %s: detail %q, want %q", tt.body, d, tt.wantDetail)
			}
			continue
		}
		var got, want any
		_ = json.Unmarshal(body, &got)
		_ = json.Unmarshal([]byte(tt.want), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("POST /v1/select %s = %s, want %s", tt.body, body, tt.want)
		}
	}
}

func TestPythonValidation(t *testing.T) {
	h, _, _ := corpus(t, Options{})
	tests := []struct {
		path, body, want string
	}{
		{"/v1/select", `{}`, `[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/select", `{"require_capabilities": ["vision"]}`, `[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/select", ``, `[{"loc":["body"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/select", `not json`, `[{"loc":["body",0],"msg":"Expecting value: line 1 column 1 (char 0)","type":"value_error.jsondecode"}]`},
		{"/v1/select", `{"name": "x", "require_capabilities": "vision"}`, `[{"loc":["body","require_capabilities"],"msg":"value is not a valid list","type":"type_error.list"}]`},
		{"/v1/select", `{"require_capabilities": 5}`, `[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"},{"loc":["body","require_capabilities"],"msg":"value is not a valid list","type":"type_error.list"}]`},
		{"/v1/select", `{"name": 5}`, `[{"loc":["body","name"],"msg":"str type expected","type":"type_error.str"}]`},
		{"/v1/select", `null`, `[{"loc":["body"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/select", `{"name": "x"} {}`, `[{"loc":["body",14],"msg":"Extra data: line 1 column 15 (char 14)","type":"value_error.jsondecode"}]`},
		{"/v1/select", `[1]`, `[{"loc":["body"],"msg":"value is not a valid dict","type":"type_error.dict"}]`},
		{"/v1/verify", `{}`, `[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/probe/vision", `{"name": "x"}`, `[{"loc":["body","image_path"],"msg":"field required","type":"value_error.missing"}]`},
		{"/v1/probe/vision", `{}`, `[{"loc":["body","name"],"msg":"field required","type":"value_error.missing"},{"loc":["body","image_path"],"msg":"field required","type":"value_error.missing"}]`},
	}
	for _, tt := range tests {
		code, body := call(t, h, "POST", tt.path, tt.body)
		if code != 422 || string(body) != `{"detail":`+tt.want+`}` {
			t.Errorf("POST %s %q = %d %s, want 422 {\"detail\":%s}", tt.path, tt.body, code, body, tt.want)
		}
	}
}

func TestPythonRoutes(t *testing.T) {
	h, _, _ := corpus(t, Options{})
	tests := []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/nowhere", 404, `{"detail":"Not Found"}`},
		{"GET", "/v1/models/", 404, `{"detail":"Not Found"}`},
		{"GET", "/v1/models/a/b/metrics", 404, `{"detail":"Not Found"}`},
		{"POST", "/v1/models", 405, `{"detail":"Method Not Allowed"}`},
		{"GET", "/v1/select", 405, `{"detail":"Method Not Allowed"}`},
		{"DELETE", "/", 405, `{"detail":"Method Not Allowed"}`},
		{"GET", "/v1/models/nope/metrics", 200, `{"rolling_samples":0}`},
		{"GET", "/v1/models/" + gemma + "/metrics", 200, `{"rolling_samples":0}`},
	}
	for _, tt := range tests {
		code, body := call(t, h, tt.method, tt.path, "")
		if code != tt.code || string(body) != tt.want {
			t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
	// An entry with samples answers its stored summary.
	dir := writeCurated(t, `[{"name": "m", "backend": "vllm", "performance": {"rolling_samples": 3, "ttft_ms_avg": 12.5}}]`)
	h, _, _ = handlerFor(t, dir, Options{})
	if code, body := call(t, h, "GET", "/v1/models/m/metrics", ""); code != 200 || string(body) != `{"rolling_samples": 3, "ttft_ms_avg": 12.5}` {
		t.Errorf("GET /v1/models/m/metrics = %d %s", code, body)
	}
}

// modelDir writes a model folder of one file and returns its path.
func modelDir(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.bin"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPythonVerify(t *testing.T) {
	model := modelDir(t, "weights")
	dir := writeCurated(t, fmt.Sprintf(`[
  {"name": "m", "backend": "vllm", "backend_config": {"model_path": %q}},
  {"name": "locked", "backend": "vllm", "backend_config": {"model_path": %q}, "version_lock": {"locked": true, "expected_aggregate_sha256": "%s"}},
  {"name": "gone", "backend": "vllm", "backend_config": {"model_path": "/nonexistent/model"}},
  {"name": "strlock", "backend": "vllm", "backend_config": {"model_path": %q}, "version_lock": {"locked": "true", "expected_aggregate_sha256": "%s"}}
]`, model, model, strings.Repeat("0", 64), model, strings.Repeat("0", 64)))
	h, l, _ := handlerFor(t, dir, Options{})
	code, body := call(t, h, "POST", "/v1/verify", `{"name": "m"}`)
	v := decode[map[string]string](t, body)
	if code != 200 || v["status"] != "ok" || len(v["aggregate_sha256"]) != 64 || len(v) != 2 {
		t.Fatalf("POST /v1/verify m = %d %s", code, body)
	}
	// The write went through the locked save: the shared loader sees it.
	if e, _ := l.Entry(context.Background(), "m"); e.AggregateSHA256() != v["aggregate_sha256"] {
		t.Errorf("after verify the registry holds %q, want %q", e.AggregateSHA256(), v["aggregate_sha256"])
	}
	code, body = call(t, h, "POST", "/v1/verify", `{"name": "locked"}`)
	if want := fmt.Sprintf("Version lock violation: expected %s got %s", strings.Repeat("0", 64), v["aggregate_sha256"]); code != 409 || detailOf(t, body) != want {
		t.Errorf("POST /v1/verify locked = %d %s, want 409 %q", code, body, want)
	}
	if code, body = call(t, h, "POST", "/v1/verify", `{"name": "nope"}`); code != 404 || detailOf(t, body) != `"Model 'nope' not found in registry"` {
		t.Errorf("POST /v1/verify nope = %d %s", code, body)
	}
	if code, body = call(t, h, "POST", "/v1/verify", `{"name": "gone"}`); code != 404 {
		t.Errorf("POST /v1/verify of an entry whose folder is missing = %d %s, want 404", code, body)
	}
	// A lock field of the wrong type is never read as unlocked: 409 naming it.
	if code, body = call(t, h, "POST", "/v1/verify", `{"name": "strlock"}`); code != 409 || !strings.Contains(detailOf(t, body), "version_lock.locked must be a boolean") {
		t.Errorf("POST /v1/verify of a lock with locked \"true\" = %d %s, want 409 naming version_lock.locked", code, body)
	}
}

func TestPythonProbeFailures(t *testing.T) {
	dir := writeCurated(t, `[{"name": "blind", "backend": "servetest", "capabilities": {"text": true}}]`)
	h, _, _ := handlerFor(t, dir, Options{ImageRoot: t.TempDir()})
	img := filepath.Join(t.TempDir(), "x.png")
	tests := []struct {
		body, want string
	}{
		{`{"name": "nope", "image_path": "x.png"}`, `"Model 'nope' not found in registry"`},
		{`{"name": "blind", "image_path": "x.png"}`, `Model 'blind' is not vision-capable`},
	}
	_ = img
	for _, tt := range tests {
		if code, body := call(t, h, "POST", "/v1/probe/vision", tt.body); code != http.StatusBadRequest || detailOf(t, body) != tt.want {
			t.Errorf("POST /v1/probe/vision %s = %d %s, want 400 %q", tt.body, code, body, tt.want)
		}
	}
}
