package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

// TestServeScrubsRegistryKeys: serve opens its own Loader, and still
// records the registry's API keys, so its log lines on stderr never show
// one.
func TestServeScrubsRegistryKeys(t *testing.T) {
	const key = "sk-serve-registry-key-0123456789"
	dir := t.TempDir()
	curated := `[{"name": "m", "backend": "vllm", "backend_config": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "SERVE_TEST_KEY"}}]`
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "SERVE_TEST_KEY" {
			return key
		}
		return ""
	}
	var stderr bytes.Buffer
	secrets := &knownSecrets{getenv: getenv}
	a := &App{
		Globals: &Globals{RegistryDir: dir},
		Env:     Env{Stdout: &stderr, Stderr: &stderr, Getenv: getenv},
		Log:     newLogger(hclog.Warn, &stderr, secrets),
		secrets: secrets,
	}
	// An ended ctx: serve opens the registry, listens, and drains at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := &ServeCmd{Listen: "127.0.0.1:0", Drain: time.Second}
	if err := c.Run(ctx, a, a.loaderOptions()); err != nil {
		t.Fatalf("serve = %v", err)
	}
	a.Log.Warn("a server said", "reply", "bad key "+key)
	if strings.Contains(stderr.String(), key) {
		t.Errorf("serve's stderr shows the registry's key:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "a server said") {
		t.Errorf("serve's stderr = %q, want the log line (scrubbed)", stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer safe for the writes of several
// goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeScrubsKeysAddedWhileServing: serve's access log masks a key of
// the registry that a request's path holds (an api_key_env value, an
// --api-key in extra_args); after another process writes a new entry
// with a key of its own, the next request's access line and every later
// log line mask that key too.
func TestServeScrubsKeysAddedWhileServing(t *testing.T) {
	const envKey, argKey, lateKey = "sk-serve-env-1a2b", "sk-serve-arg-3c4d", "sk-serve-late-5e6f"
	dir := t.TempDir()
	curated := `[{"name": "m", "backend": "vllm", "backend_config": {"base_url": "http://127.0.0.1:9/v1", "api_key_env": "SERVE_TEST_KEY", "extra_args": ["--api-key", "` + argKey + `"]}}]`
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return map[string]string{"SERVE_TEST_KEY": envKey}[k] }
	var stderr lockedBuffer
	secrets := &knownSecrets{getenv: getenv}
	a := &App{
		Globals: &Globals{RegistryDir: dir},
		Env:     Env{Stdout: io.Discard, Stderr: &stderr, Getenv: getenv},
		Log:     newLogger(hclog.Warn, &stderr, secrets),
		secrets: secrets,
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &ServeCmd{Listen: "127.0.0.1:0", Drain: time.Second, AccessLog: true}
	served := make(chan error, 1)
	go func() { served <- c.Run(ctx, a, a.loaderOptions()) }()
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		_, rest, ok := strings.Cut(stderr.String(), "serving the registry on ")
		base, _, _ = strings.Cut(rest, "\n")
		if !ok || !strings.HasSuffix(rest, "\n") {
			base = ""
		}
	}
	if base == "" {
		t.Fatalf("serve never said where it listens: %q", stderr.String())
	}
	get := func(path string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get("/v1/models/" + envKey + "/metrics")
	get("/v1/models/" + argKey + "/metrics")
	disc := filepath.Join(dir, "model_registry.discovered.json")
	if err := os.WriteFile(disc, []byte(`[{"name": "n", "backend": "vllm", "backend_config": {"extra_args": ["--hf-token=`+lateKey+`"]}}]`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(disc, later, later); err != nil {
		t.Fatal(err)
	}
	get("/v1/models/" + lateKey + "/metrics")
	a.Log.Warn("a plugin said", "reply", "bad token "+lateKey)
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("serve = %v", err)
	}
	out := stderr.String()
	for _, k := range []string{envKey, argKey, lateKey} {
		if strings.Contains(out, k) {
			t.Errorf("serve's stderr shows %q:\n%s", k, out)
		}
	}
	if n := strings.Count(out, "path=/v1/models/xxxxx/metrics"); n != 3 || !strings.Contains(out, "bad token xxxxx") {
		t.Errorf("serve's stderr = %q, want 3 scrubbed access lines and the scrubbed warning", out)
	}
}
