package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
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
		Log:     hclog.New(&hclog.LoggerOptions{Output: termLines{&stderr, secrets}}),
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
