package httpapi

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core"
)

// TestAccessLogScrubsRegistryKeys: a request whose path holds a key of the
// registry (an api_key_env value, an --api-key in extra_args), or the
// bearer token, is logged with the key masked; so is a key written into
// the registry after the handler was made.
func TestAccessLogScrubsRegistryKeys(t *testing.T) {
	const envKey, argKey, lateKey, token = "sk-env-key-1", "sk-arg-key-2", "sk-late-key-3", "tok-access-4"
	dir := writeCurated(t, `[{"name": "m", "backend": "vllm", "backend_config": {"api_key_env": "SERVE_KEY", "extra_args": ["--api-key", "`+argKey+`"]}}]`+"\n")
	l, err := core.Open(context.Background(), core.Options{RegistryDir: dir, Backends: inProcess(), Getenv: func(k string) string {
		return map[string]string{"HOME": dir, "SERVE_KEY": envKey}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var logged bytes.Buffer
	h := New(l, Options{Token: token, Logger: newTestLogger(&logged)})
	auth := []string{"Authorization", "Bearer " + token}
	call(t, h, "GET", "/v1/models/"+envKey+"/metrics", "", auth...)
	call(t, h, "GET", "/v1/models/x"+argKey+"y/metrics", "", auth...)
	call(t, h, "GET", "/"+token, "")

	// Another process adds an entry with a key of its own.
	disc := filepath.Join(dir, "model_registry.discovered.json")
	if err := os.WriteFile(disc, []byte(`[{"name": "n", "backend": "vllm", "backend_config": {"extra_args": ["--api-key=`+lateKey+`"]}}]`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(disc, later, later); err != nil {
		t.Fatal(err)
	}
	call(t, h, "GET", "/v1/models/"+lateKey+"/metrics", "", auth...)

	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("access log = %q, want one line per request", lines)
	}
	for _, k := range []string{envKey, argKey, lateKey, token} {
		if strings.Contains(logged.String(), k) {
			t.Errorf("access log shows %q:\n%s", k, logged.String())
		}
	}
	if !strings.Contains(lines[1], "path=/v1/models/xxxxxxy/metrics") {
		t.Errorf("access log line = %q, want the rest of the path kept", lines[1])
	}
}
