package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// entry is a curated vLLM entry on port, run by exe.
func entry(name string, port int, exe string, extra string) string {
	return fmt.Sprintf(`{"name": %q, "backend": "vllm", "served_model_id": "%s-served", "backend_config": {"port": %d, "model_path": "/models/%s", "executable": %q}%s}`,
		name, name, port, name, exe, extra)
}

// TestChatStartsOnDemand: a chat for a model whose server is down starts
// it through the lifecycle, forwards the body with only "model" rewritten
// to the served id, passes the answer through with the X-Imageworks
// headers, and Close stops the server it started.
func TestChatStartsOnDemand(t *testing.T) {
	log := filepath.Join(t.TempDir(), "bodies.jsonl")
	exe := standinExe(t, map[string]string{"STANDIN_BODY_LOG": log})
	port := freePort(t)
	f := newFixture(t, "["+entry("alpha", port, exe, `, "model_aliases": ["a"]`)+"]",
		`[{"name": "alpha", "artifacts": {"aggregate_sha256": "abc123", "files": []}}]`, Options{})
	body := `{"messages":[{"role":"user","content":"hi \u00e9"}],  "model" : "a", "temperature":0.25e0, "extra":{"model":"keep"}}`
	resp, answer := f.post("/v1/chat/completions", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, answer)
	}
	for h, want := range map[string]string{HeaderModel: "alpha", HeaderBackend: "vllm", HeaderServed: "alpha-served", HeaderAggregate: "abc123"} {
		if got := resp.Header.Values(h); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want once %q", h, got, want)
		}
	}
	if !strings.Contains(string(answer), `"model":"alpha-served"`) {
		t.Errorf("answer %s does not come from the server", answer)
	}
	st := f.current(port)
	if st == nil || st.LogicalName != "alpha" {
		t.Fatalf("state after the chat = %+v, want alpha running", st)
	}
	if run := f.gw.Running(); len(run) != 1 || run[0].Port != port || run[0].Model != "alpha" || run[0].Endpoint == "" {
		t.Errorf("Running() = %+v, want alpha on port %d", run, port)
	}
	lines := readLines(t, log)
	var got string
	for _, l := range lines {
		if l["path"] == "/v1/chat/completions" {
			got = l["body"]
		}
	}
	want := strings.Replace(body, `"a"`, `"alpha-served"`, 1)
	if got != want {
		t.Errorf("the server got\n%s\nwant (only model rewritten)\n%s", got, want)
	}
	if err := f.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pidRuns(st.PID) && f.current(port) != nil {
		t.Errorf("server pid %d still runs after Close", st.PID)
	}
}

// TestModelsAndNames: /v1/models lists the chat proxy's ids and
// extensions (deprecated left out, a clashing display id falls back to
// the logical name); a chat may name the display id, the display name
// with its quantization in any case and punctuation, or a role.
func TestModelsAndNames(t *testing.T) {
	exe := standinExe(t, nil)
	port := freePort(t)
	f := newFixture(t, `[`+entry("m1", port, exe, `, "display_name": "Demo", "quantization": "AWQ", "roles": ["caption"], "capabilities": {"vision": true}`)+`,`+
		entry("m2", port, exe, `, "display_name": "Demo"`)+`,`+
		entry("old", port, exe, `, "deprecated": true`)+`]`, "", Options{})
	resp, err := http.Get(f.srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			ID         string         `json:"id"`
			OwnedBy    string         `json:"owned_by"`
			Extensions map[string]any `json:"extensions"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var ids []string
	for _, d := range list.Data {
		ids = append(ids, d.ID)
	}
	if list.Object != "list" || fmt.Sprint(ids) != "[Demo m2]" {
		t.Fatalf("ids = %v, want [Demo m2]", ids)
	}
	ext := list.Data[0].Extensions
	if ext["logical_id"] != "m1" || ext["quantization"] != "AWQ" || fmt.Sprint(ext["modalities"]) != "[text vision]" || ext["schema_version"] != 1.0 {
		t.Errorf("extensions = %v", ext)
	}
	tab := f.gw.table(context.Background())
	for model, want := range map[string]string{"Demo": "m1", "m2": "m2", "demo (awq)": "m1", "DEMO-AWQ": "m1", "role:caption": "m1", "old": "old"} {
		rt, err := tab.lookup(model)
		if err != nil || rt.Name != want {
			t.Errorf("lookup(%q) = %v, %v, want %s", model, rt, err, want)
		}
	}
	resp2, body := f.post("/v1/chat/completions", chat("nope"))
	if resp2.StatusCode != 404 || errType(t, body) != "model_not_found" || !strings.Contains(string(body), "Model 'nope' not found") {
		t.Errorf("unknown model: %d %s", resp2.StatusCode, body)
	}
}

// TestGatesStartNothing: an image for a model without vision, or whose
// last vision probe failed, and a locked model whose files drifted, are
// refused with 409 before any server starts; the server already on the
// port keeps running.
func TestGatesStartNothing(t *testing.T) {
	exe := standinExe(t, nil)
	port := freePort(t)
	model := t.TempDir()
	if err := os.WriteFile(filepath.Join(model, "w.bin"), []byte("weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, `[`+entry("text", port, exe, "")+`,`+
		entry("blind", port, exe, `, "capabilities": {"vision": true}`)+`,`+
		fmt.Sprintf(`{"name": "locked", "backend": "vllm", "backend_config": {"port": %d, "model_path": %q, "executable": %q}}`, port, model, exe)+`]`,
		`[{"name": "blind", "probes": {"vision": {"vision_ok": false, "timestamp": "2026-01-01T00:00:00Z", "probe_version": "1", "latency_ms": 5, "notes": "said blue"}}},
		  {"name": "locked", "version_lock": {"locked": true, "expected_aggregate_sha256": "0000000000000000000000000000000000000000000000000000000000000000", "last_verified": null}}]`, Options{})
	image := `{"model": %q, "messages": [{"role": "user", "content": [{"type": "text", "text": "what"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}`
	for _, tc := range []struct{ model, body, typ string }{
		{"text", fmt.Sprintf(image, "text"), "capability_mismatch"},
		{"blind", fmt.Sprintf(image, "blind"), "vision_probe_failed"},
		{"locked", chat("locked"), "lock_violation"},
	} {
		resp, body := f.post("/v1/chat/completions", tc.body)
		if resp.StatusCode != 409 || errType(t, body) != tc.typ {
			t.Errorf("%s: %d %s, want 409 %s", tc.model, resp.StatusCode, body, tc.typ)
		}
		if st := f.current(port); st != nil {
			t.Errorf("%s: a server started (%+v)", tc.model, st)
		}
	}
	// With a server on the port, a refused lock leaves it running.
	if resp, body := f.post("/v1/chat/completions", chat("text")); resp.StatusCode != 200 {
		t.Fatalf("text: %d %s", resp.StatusCode, body)
	}
	before := f.current(port)
	resp, body := f.post("/v1/chat/completions", chat("locked"))
	if resp.StatusCode != 409 || !strings.Contains(string(body), "w.bin") {
		t.Errorf("locked: %d %s, want 409 naming w.bin", resp.StatusCode, body)
	}
	if after := f.current(port); after == nil || after.PID != before.PID {
		t.Errorf("the server on the port changed: %+v, then %+v", before, after)
	}
}

// TestSwapsUnderLoad: ten parallel requests for two models of one port,
// across swaps: all 200, each answered by its own model.
func TestSwapsUnderLoad(t *testing.T) {
	exe := standinExe(t, map[string]string{"STANDIN_READY_AFTER": "100ms"})
	port := freePort(t)
	f := newFixture(t, "["+entry("a", port, exe, "")+","+entry("b", port, exe, "")+"]", "", Options{})
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 10 {
		model := []string{"a", "b"}[i%2]
		wg.Go(func() {
			resp, err := http.Post(f.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(chat(model)))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			var v struct {
				Model string `json:"model"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&v)
			if resp.StatusCode != 200 || v.Model != model+"-served" {
				errs <- fmt.Sprintf("%s: %d, answered by %q", model, resp.StatusCode, v.Model)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestStreamsPassThrough: a streamed answer reaches the client chunk by
// chunk, and the measured sample reaches the performance block at Close.
func TestStreamsPassThrough(t *testing.T) {
	exe := standinExe(t, map[string]string{"STANDIN_CHUNK_DELAY": "60ms"})
	port := freePort(t)
	f := newFixture(t, "["+entry("s", port, exe, "")+"]", "", Options{})
	// Start it first, so the timing below is the stream's own.
	if resp, body := f.post("/v1/chat/completions", chat("s")); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	req := `{"model": "s", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]}`
	resp, err := http.Post(f.srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	rd := bufio.NewReader(resp.Body)
	var times []time.Time
	for {
		line, err := rd.ReadString('\n')
		if strings.HasPrefix(line, "data: ") {
			times = append(times, time.Now())
		}
		if err != nil {
			break // read to the end: the handler is done, and its sample taken
		}
	}
	if len(times) < 4 {
		t.Fatalf("%d data lines", len(times))
	}
	if spread := times[len(times)-1].Sub(times[0]); spread < 100*time.Millisecond {
		t.Errorf("chunks arrived within %v: buffered, not streamed", spread)
	}
	if err := f.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	disc, err := os.ReadFile(filepath.Join(f.dir, "model_registry.discovered.json"))
	if err != nil || !strings.Contains(string(disc), `"rolling_samples": 2`) || !strings.Contains(string(disc), `"tokens_generated"`) {
		t.Errorf("performance not saved: %s", disc)
	}
}

// TestIdleAndPinned: a server idle past its TTL is stopped; a pinned one
// is started with the gateway, refuses other models of its port, and is
// never stopped while the gateway runs.
func TestIdleAndPinned(t *testing.T) {
	exe := standinExe(t, nil)
	port, pport := freePort(t), freePort(t)
	f := newFixture(t, "["+entry("idle", port, exe, "")+","+entry("pin", pport, exe, "")+","+entry("other", pport, exe, "")+"]", "",
		Options{IdleTTL: 300 * time.Millisecond, Pinned: []string{"pin"}})
	if resp, body := f.post("/v1/chat/completions", chat("idle")); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.current(port) != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if f.current(port) != nil {
		t.Error("the idle server was not stopped")
	}
	for f.current(pport) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	pinned := f.current(pport)
	if pinned == nil || pinned.LogicalName != "pin" {
		t.Fatalf("pinned model not started: %+v", pinned)
	}
	resp, body := f.post("/v1/chat/completions", chat("other"))
	if resp.StatusCode != 409 || errType(t, body) != "slot_pinned" {
		t.Errorf("other model on the pinned port: %d %s", resp.StatusCode, body)
	}
	prom, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if text := readAll(prom); !strings.Contains(text, `imageworks_gateway_refusals_total{model="other",reason="slot_pinned"} 1`) {
		t.Errorf("the pinned refusal is not counted in /metrics:\n%s", text)
	}
	time.Sleep(500 * time.Millisecond)
	if st := f.current(pport); st == nil || st.PID != pinned.PID {
		t.Errorf("the pinned server changed: %+v", st)
	}
}

// TestQueueWaitBounded: a request that waits past QueueWait for a slow
// start gets a 503 with Retry-After; the start goes on for the others.
func TestQueueWaitBounded(t *testing.T) {
	exe := standinExe(t, map[string]string{"STANDIN_READY_AFTER": "1500ms"})
	port := freePort(t)
	f := newFixture(t, "["+entry("slow", port, exe, "")+","+entry("other", port, exe, "")+"]", "", Options{QueueWait: 300 * time.Millisecond})
	done := make(chan int)
	go func() {
		resp, _ := f.post("/v1/chat/completions", chat("slow"))
		done <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	resp, body := f.post("/v1/chat/completions", chat("other"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || errType(t, body) != "queue_timeout" {
		t.Errorf("waiting request: %d %q %s, want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	if code := <-done; code != 200 {
		t.Errorf("the starting request answered %d", code)
	}
}

// TestToken: with a token, every route but /v1/health needs it.
func TestToken(t *testing.T) {
	f := newFixture(t, "[]", "", Options{Token: "s3cret"})
	resp, err := http.Get(f.srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("no token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/models", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("token: %d", resp.StatusCode)
	}
	resp, err = http.Get(f.srv.URL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health without token: %d", resp.StatusCode)
	}
}

// TestFailedSwapKeepsServer: a swap whose start fails before the running
// server is stopped (a launch command the backend refuses) answers 424
// and leaves that server running and tracked: it keeps answering, and
// Close still stops it.
func TestFailedSwapKeepsServer(t *testing.T) {
	exe := standinExe(t, nil)
	port := freePort(t)
	f := newFixture(t, "["+entry("good", port, exe, "")+","+
		fmt.Sprintf(`{"name": "broken", "backend": "vllm", "backend_config": {"port": %d, "model_path": "/models/b", "executable": %q, "gpu_memory_utilization": "lots"}}`, port, exe)+"]", "", Options{})
	if resp, body := f.post("/v1/chat/completions", chat("good")); resp.StatusCode != 200 {
		t.Fatalf("good: %d %s", resp.StatusCode, body)
	}
	before := f.current(port)
	resp, body := f.post("/v1/chat/completions", chat("broken"))
	if resp.StatusCode != 424 || errType(t, body) != "backend_unavailable" {
		t.Errorf("broken: %d %s, want 424 backend_unavailable", resp.StatusCode, body)
	}
	if resp, body := f.post("/v1/chat/completions", chat("good")); resp.StatusCode != 200 {
		t.Fatalf("good again: %d %s", resp.StatusCode, body)
	}
	if after := f.current(port); after == nil || after.PID != before.PID {
		t.Fatalf("the server changed: %+v, then %+v", before, after)
	}
	if err := f.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pidRuns(before.PID) {
		t.Errorf("server pid %d still runs after Close: the gateway lost track of it", before.PID)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestSwapRunsNoNvidiaSMI: a start for a request does not wait on
// nvidia-smi (core's activate asks it for the GPUs' memory, which the
// gateway does not use); the fake nvidia-smi on PATH proves activate would
// have run it.
func TestSwapRunsNoNvidiaSMI(t *testing.T) {
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	script := "#!/bin/sh\necho ran >> '" + marker + "'\necho '0, Fake GPU, 1, 2'\n"
	if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	exe := standinExe(t, nil)
	port := freePort(t)
	f := newFixture(t, "["+entry("g", port, exe, "")+"]", "", Options{})
	if resp, body := f.post("/v1/chat/completions", chat("g")); resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the gateway's start ran nvidia-smi")
	}
	// The same activation outside the gateway does run it.
	opts := f.opts.Lifecycle
	opts.NoGPUReport = false
	opts.Port = port
	if _, err := f.l.Activate(context.Background(), "g", opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("activate did not run the fake nvidia-smi: %v", err)
	}
}

// TestUnroutedAnswersJSON: an unknown path and a wrong method are answered
// in FastAPI's JSON, as the Python proxy's clients saw them.
func TestUnroutedAnswersJSON(t *testing.T) {
	f := newFixture(t, "[]", "", Options{})
	for _, tc := range []struct {
		method, path, want string
		code               int
	}{
		{"GET", "/v1/nope", `{"detail":"Not Found"}`, 404},
		{"GET", "/v1/chat/completions", `{"detail":"Method Not Allowed"}`, 405},
		{"POST", "/v1/models", `{"detail":"Method Not Allowed"}`, 405},
	} {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || string(b) != tc.want || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s = %d %q %s, want %d %s", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b, tc.code, tc.want)
		}
	}
}
