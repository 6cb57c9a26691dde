//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// startServe starts `imageworks-loader serve` on the corpus with extra
// arguments and environment, and returns it with its base URL.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	dir := t.TempDir()
	registrytest.CopyCorpus(t, dir)
	return serveRegistry(t, dir, env, args...)
}

// serveRegistry starts `imageworks-loader serve --no-access-log` on the
// registry in dir with extra arguments and environment, and returns it
// with its base URL once it says where it listens (the test fails if it
// never does).
func serveRegistry(t *testing.T, dir string, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command("imageworks-loader", append([]string{"--registry-dir", dir, "serve", "--no-access-log"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	for lines.Scan() {
		if _, url, ok := strings.Cut(lines.Text(), "serving the registry on "); ok {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, url
		}
	}
	t.Fatal("serve never said where it listens")
	return nil, ""
}

// TestServeSIGTERMUnderLoad: serve answers from warm plugins; SIGTERM
// while clients keep sending drains the requests in flight, stops every
// plugin and exits 0 well within 10 s.
func TestServeSIGTERMUnderLoad(t *testing.T) {
	cmd, url := startServe(t, nil, "--listen", "127.0.0.1:0")
	names := []string{"gemma3_27.0b_(Q3_K_M)", "gpt-oss-20b_(MXFP4)", "qwen3_8b_(Q4_K_M)", "siglip-large-patch16-384_(FP32)"}
	for _, n := range names { // both plugins warm before the load
		resp, err := http.Post(url+"/v1/select", "application/json", strings.NewReader(fmt.Sprintf(`{"name": %q}`, n)))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("select %s = %v %v", n, resp, err)
		}
		resp.Body.Close()
	}
	plugins := childrenOf(cmd.Process.Pid)
	if len(plugins) != 2 {
		t.Fatalf("serve runs %d plugin processes, want the two warm ones", len(plugins))
	}
	var (
		wg       sync.WaitGroup
		ok, bad  atomic.Int64
		stopping atomic.Bool
	)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ; i++ {
				resp, err := c.Post(url+"/v1/select", "application/json", strings.NewReader(fmt.Sprintf(`{"name": %q}`, names[(w+i)%len(names)])))
				if err != nil { // refused once the server has closed
					if !stopping.Load() {
						bad.Add(1)
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	stopping.Store(true)
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(start)
	wg.Wait()
	if err != nil {
		t.Errorf("serve after SIGTERM = %v, want exit status 0", err)
	}
	if took > 10*time.Second {
		t.Errorf("serve took %v to exit after SIGTERM", took)
	}
	if bad.Load() > 0 || ok.Load() == 0 {
		t.Errorf("under load: %d answered 200, %d failed otherwise", ok.Load(), bad.Load())
	}
	for _, pid := range plugins {
		if alive(pid) {
			t.Errorf("plugin process %d outlived serve", pid)
		}
	}
	t.Logf("%d selects answered; exit %v after SIGTERM", ok.Load(), took)
}

// TestServeNonLoopbackNeedsToken: a non-loopback --listen is refused
// without a token; with one, every route but /healthz needs it.
func TestServeNonLoopbackNeedsToken(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:0"} {
		out, err := cli(t, "--registry-dir", t.TempDir(), "serve", "--listen", addr)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "not a loopback address") {
			t.Errorf("serve --listen %s without a token = %v %s, want refused", addr, err, out)
		}
	}
	cmd, url := startServe(t, []string{"IMAGEWORKS_API_TOKEN=tok"}, "--listen", "0.0.0.0:0")
	url = strings.Replace(url, "0.0.0.0", "127.0.0.1", 1)
	url = strings.Replace(url, "[::]", "127.0.0.1", 1)
	get := func(path, auth string) int {
		req, _ := http.NewRequest("GET", url+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/v1/models", ""); c != 401 {
		t.Errorf("GET /v1/models without the token = %d, want 401", c)
	}
	if c := get("/v1/models", "Bearer nope"); c != 401 {
		t.Errorf("GET /v1/models with a wrong token = %d, want 401", c)
	}
	if c := get("/v1/models", "Bearer tok"); c != 200 {
		t.Errorf("GET /v1/models with the token = %d, want 200", c)
	}
	if c := get("/healthz", ""); c != 200 {
		t.Errorf("GET /healthz without the token = %d, want 200", c)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM = %v, want exit 0", err)
	}
}

// TestServeDrainsInFlight: a request in flight when SIGTERM arrives (a
// live select waiting on a slow server) still gets its whole answer, and
// serve exits 0 afterwards.
func TestServeDrainsInFlight(t *testing.T) {
	dir := t.TempDir()
	reqFile := filepath.Join(dir, "requests")
	base := startStandin(t, dir, "--models", "m", "--fail", "slow", "--fail-path", "/v1/models",
		"--delay", "1500ms", "--requests-file", reqFile)
	reg := filepath.Join(dir, "reg")
	if err := os.Mkdir(reg, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf(`[{"name": "m", "backend": "vllm", "served_model_id": "m", "backend_config": {"base_url": %q}}]`, base+"/v1")
	if err := os.WriteFile(filepath.Join(reg, "model_registry.curated.json"), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, url := serveRegistry(t, reg, nil, "--listen", "127.0.0.1:0")
	type answer struct {
		code int
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := http.Post(url+"/v1/select", "application/json", strings.NewReader(`{"name": "m", "live": true}`))
		if err != nil {
			done <- answer{0, err}
			return
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- answer{resp.StatusCode, err}
	}()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(reqFile); strings.Contains(string(data), "/v1/models") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the live select never reached the server")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a.err != nil || a.code != 200 {
		t.Errorf("the request in flight at SIGTERM = %d %v, want its whole 200 answer", a.code, a.err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after draining = %v, want exit 0", err)
	}
}
