package httpapi

import (
	"context"
	"encoding/json"
	"github.com/hashicorp/go-hclog"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
	"github.com/imageworks-ai/loader/internal/servetest"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

func TestMain(m *testing.M) {
	plugintest.ServeIfNamed(servetest.Name, servetest.New())
	plugintest.ServeIfNamed(crashName, crashing{})
	os.Exit(m.Run())
}

// inProcess are the backends the tests run in process.
func inProcess() map[string]sdk.Backend {
	return map[string]sdk.Backend{"vllm": vllm.New(), "ollama": ollama.New(), servetest.Name: servetest.New()}
}

// openDir opens the registry in dir with the in-process backends.
func openDir(t *testing.T, dir string) (*core.Loader, core.Options) {
	t.Helper()
	opts := core.Options{RegistryDir: dir, Backends: inProcess(), Getenv: func(k string) string {
		if k == "HOME" {
			return dir
		}
		return ""
	}}
	l, err := core.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("core.Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l, opts
}

// corpus returns a handler over a copy of the corpus registry, its loader
// and the copy's folder. Writes go through writer loaders, as serve does.
func corpus(t *testing.T, o Options) (http.Handler, *core.Loader, string) {
	t.Helper()
	dir := t.TempDir()
	registrytest.CopyCorpus(t, dir)
	return handlerFor(t, dir, o)
}

// handlerFor returns a handler over the registry in dir.
func handlerFor(t *testing.T, dir string, o Options) (http.Handler, *core.Loader, string) {
	t.Helper()
	l, opts := openDir(t, dir)
	o.OpenWriter = func(ctx context.Context) (*core.Loader, error) { return core.Open(ctx, opts) }
	return New(l, o), l, dir
}

// writeCurated writes a curated layer of records into a new folder.
func writeCurated(t *testing.T, records string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(records), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// call sends one request to h and returns the status and body.
func call(t *testing.T, h http.Handler, method, path, body string, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// decode unmarshals body into a fresh value of type T.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("answer %s is not the expected JSON: %v", body, err)
	}
	return v
}

// detailOf returns the string detail of an error answer.
func detailOf(t *testing.T, body []byte) string {
	t.Helper()
	return decode[struct {
		Detail string `json:"detail"`
	}](t, body).Detail
}

// newTestLogger logs at Info into w, one line per call.
func newTestLogger(w io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: w})
}
