package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary run the command: with STANDIN_RUN_MAIN set
// it is the standin command itself.
func TestMain(m *testing.M) {
	if os.Getenv("STANDIN_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestCommandServes(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	cmd := exec.Command(os.Args[0], "vllm", "--models", "x", "--url-file", urlFile)
	cmd.Env = append(os.Environ(), "STANDIN_RUN_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(urlFile); err == nil {
			url = strings.TrimSpace(string(b))
		}
	}
	if url == "" {
		t.Fatal("standin vllm wrote no URL within 10s")
	}
	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"x"`) {
		t.Errorf("GET /v1/models = %d %s, want 200 listing x", resp.StatusCode, body)
	}
}

func TestCommandUsage(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "STANDIN_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage: standin") {
		t.Errorf("standin with no arguments = %v, %q, want exit 2 and the usage", err, out)
	}
}

// TestCommandServesServerLines: the command takes the command lines the
// vllm and lmdeploy plugins run for activate (backend_config.executable
// naming it) and serves the named model where they say.
func TestCommandServesServerLines(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  func(port string) []string
		ready string
		owner string
	}{
		{"vllm", func(port string) []string {
			return []string{"serve", "/models/a", "--host", "127.0.0.1", "--port", port, "--served-model-name", "a-id", "--gpu-memory-utilization", "0.75"}
		}, "/health", `"owned_by":"vllm"`},
		{"lmdeploy", func(port string) []string {
			return []string{"serve", "api_server", "/models/a", "--server-name", "127.0.0.1", "--server-port", port, "--model-name", "a-id", "--backend", "pytorch"}
		}, "/v1/models", `"owned_by":"lmdeploy"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			cmd := exec.Command(os.Args[0], tc.args(port)...)
			cmd.Env = append(os.Environ(), "STANDIN_RUN_MAIN=1")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}()
			base := "http://127.0.0.1:" + port
			var (
				status int
				body   string
			)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				status, body = get(base + "/v1/models")
				if status != 0 {
					break
				}
			}
			if status != http.StatusOK || !strings.Contains(body, `"id":"a-id"`) || !strings.Contains(body, tc.owner) {
				t.Fatalf("GET /v1/models = %d %s, want 200 listing a-id %s", status, body, tc.owner)
			}
			if status, body := get(base + tc.ready); status != http.StatusOK {
				t.Errorf("GET %s = %d %s, want 200", tc.ready, status, body)
			}
		})
	}
}

// get returns GET url's status and body, or 0 when nothing answers.
func get(url string) (int, string) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
