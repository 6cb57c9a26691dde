package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/internal/servetest"
	"github.com/imageworks-ai/loader/sdk/plugintest"
	"github.com/imageworks-ai/loader/warm"
)

// warmServer serves the registry in dir over a warm pool of real plugin
// processes (the test binary as imageworks-backend-servetest).
func warmServer(t *testing.T, dir string) (*httptest.Server, *warm.Pool) {
	t.Helper()
	pdir := filepath.Dir(plugintest.CopySelf(t, servetest.Name))
	pool := warm.New(warm.Options{Host: pluginhost.Options{Dirs: []string{pdir}, Getenv: func(string) string { return "" }, StartTimeout: 20 * time.Second}})
	t.Cleanup(func() { _ = pool.Close() })
	opts := core.Options{RegistryDir: dir, Source: pool, Getenv: func(string) string { return "" }}
	l, err := core.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	srv := httptest.NewServer(New(l, Options{
		OpenWriter: func(ctx context.Context) (*core.Loader, error) { return core.Open(ctx, opts) },
		Collectors: []prometheus.Collector{pool},
		Epoch:      pool.Epoch,
	}))
	t.Cleanup(srv.Close)
	return srv, pool
}

// postJSON sends a JSON body and returns the status and body.
func postJSON(c *http.Client, url, body string) (int, []byte, error) {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes(), err
}

// TestLoadKillAndEdit runs concurrent clients (under -race in make test)
// against a warm plugin, kills the plugin mid-load, and edits the
// registry mid-load: only the requests in flight at the kill get 502 (with
// the plugin's message), later ones reach a restarted plugin, and the edit
// is seen by the next requests without a restart.
func TestLoadKillAndEdit(t *testing.T) {
	dir := writeCurated(t, `[{"name": "slow", "backend": "servetest", "resolve_delay_ms": 20}, {"name": "fast", "backend": "servetest"}]`)
	srv, _ := warmServer(t, dir)
	c := srv.Client()
	// Live selects are never cached, so every one reaches the plugin.
	code, body, err := postJSON(c, srv.URL+"/v1/select", `{"name": "slow", "live": true}`)
	if err != nil || code != 200 {
		t.Fatalf("first select = %d %s %v", code, body, err)
	}
	var first struct{ Notes []string }
	_ = json.Unmarshal(body, &first)
	pid, _ := strconv.Atoi(servetest.Note(first.Notes, "pid"))

	const workers = 8
	var (
		wg                sync.WaitGroup
		stop              = make(chan struct{})
		ok, bad, gateways atomic.Int64
		badDetail         atomic.Value
		sawEdit           atomic.Bool
		perWorker502      [workers]int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var code int
				var body []byte
				var err error
				switch i % 3 {
				case 0:
					code, body, err = postJSON(c, srv.URL+"/v1/select", `{"name": "slow", "live": true}`)
				case 1:
					code, body, err = postJSON(c, srv.URL+"/v1/select", `{"name": "fast"}`)
				default:
					var resp *http.Response
					resp, err = c.Get(srv.URL + "/v1/models")
					if err == nil {
						var b bytes.Buffer
						_, _ = b.ReadFrom(resp.Body)
						resp.Body.Close()
						code, body = resp.StatusCode, b.Bytes()
						if strings.Contains(b.String(), `"added"`) {
							sawEdit.Store(true)
						}
					}
				}
				switch {
				case err != nil:
					bad.Add(1)
					badDetail.Store(err.Error())
				case code == 200:
					ok.Add(1)
				case code == http.StatusBadGateway:
					gateways.Add(1)
					perWorker502[w]++
					if !strings.Contains(string(body), "plugin servetest") {
						badDetail.Store("502 without the plugin's message: " + string(body))
						bad.Add(1)
					}
				default:
					bad.Add(1)
					badDetail.Store(strconv.Itoa(code) + " " + string(body))
				}
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	// An edit by hand (or by the CLI in another process), mid-load.
	edited := `[{"name": "slow", "backend": "servetest", "resolve_delay_ms": 20}, {"name": "fast", "backend": "servetest"}, {"name": "added", "backend": "servetest"}]`
	tmp := filepath.Join(dir, "edit.tmp")
	if err := os.WriteFile(tmp, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "model_registry.curated.json")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !sawEdit.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	before := ok.Load()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if bad.Load() > 0 {
		t.Errorf("%d requests failed otherwise than 502: last %v", bad.Load(), badDetail.Load())
	}
	if !sawEdit.Load() {
		t.Error("the registry edit was never seen")
	}
	if ok.Load() <= before {
		t.Error("no request succeeded after the kill and the edit")
	}
	for w, n := range perWorker502 {
		if n > 1 {
			t.Errorf("worker %d got %d 502s, want at most its one request in flight", w, n)
		}
	}
	code, body, _ = postJSON(c, srv.URL+"/v1/select", `{"name": "added"}`)
	if code != 200 {
		t.Errorf("select of the added entry = %d %s", code, body)
	}
	resp, err := c.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	_, _ = m.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`imageworks_plugin_starts_total{backend="servetest"} 2`, `imageworks_plugin_crashes_total{backend="servetest"} 1`} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	t.Logf("%d ok, %d 502 (in flight at the kill)", ok.Load(), gateways.Load())
}

// stalledWriter is a client that does not read: Write blocks until
// release is closed.
type stalledWriter struct {
	*httptest.ResponseRecorder
	writing chan struct{} // closed when Write is first called
	release chan struct{}
	once    sync.Once
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.writing) })
	<-w.release
	return w.ResponseRecorder.Write(p)
}

// TestSlowClientDoesNotHoldModels: GET /v1/models writes its answer
// without holding the models cache's lock, so a client that does not read
// holds up no other client.
func TestSlowClientDoesNotHoldModels(t *testing.T) {
	h, _, _ := corpus(t, Options{})
	slow := &stalledWriter{ResponseRecorder: httptest.NewRecorder(), writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(slow, httptest.NewRequest("GET", "/v1/models", nil))
	}()
	<-slow.writing
	other := make(chan int, 1)
	go func() {
		code, _ := call(t, h, "GET", "/v1/models", "")
		other <- code
	}()
	select {
	case code := <-other:
		if code != http.StatusOK {
			t.Errorf("GET /v1/models beside a stalled client = %d, want 200", code)
		}
	case <-time.After(5 * time.Second):
		t.Error("GET /v1/models waited for a client that does not read")
		close(slow.release)
		<-other
		<-done
		return
	}
	close(slow.release)
	<-done
	if slow.Code != http.StatusOK || slow.Body.Len() == 0 {
		t.Errorf("the stalled client's answer = %d, %d bytes", slow.Code, slow.Body.Len())
	}
}
