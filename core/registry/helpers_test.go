package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// corpusDir returns a temporary registry directory holding the corpus's two
// layers.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	registrytest.CopyCorpus(t, dir)
	return dir
}

// logBuffer is an hclog sink tests can read.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLogger() (hclog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return hclog.New(&hclog.LoggerOptions{Output: lb, Level: hclog.Debug}), lb
}

func mustOpen(t *testing.T, dir string, opts registry.Options) *registry.Registry {
	t.Helper()
	r, err := registry.Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v, want no error", dir, err)
	}
	return r
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// decodeByName decodes a registry file into its records keyed by name.
func decodeByName(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var recs []map[string]any
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("decoding registry file: %v", err)
	}
	out := map[string]any{}
	for _, r := range recs {
		out[r["name"].(string)] = r
	}
	return out
}

// decodeNames lists the names in a registry file in order.
func decodeNames(t *testing.T, data []byte) []string {
	t.Helper()
	var recs []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("decoding registry file: %v", err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Name)
	}
	return out
}

func jsonValue(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

func equalJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	return reflect.DeepEqual(jsonValue(t, a), jsonValue(t, b))
}

func lockEntry(t *testing.T, r *registry.Registry, name string, locked bool) {
	t.Helper()
	if err := r.Update(context.Background(), name, func(ed *registry.Edit) error {
		return ed.Set(locked, "version_lock", "locked")
	}); err != nil {
		t.Fatalf("Update(%q) = %v", name, err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatalf("Save() = %v", err)
	}
}

func path(elem ...string) string { return filepath.Join(elem...) }

func errorsIs(err, target error) bool { return errors.Is(err, target) }
