package ollama

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// The test binary doubles as the plugin: started as
// imageworks-backend-ollama (by TestConformanceBinary, through the real plugin
// host), it serves the backend.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "imageworks-backend-"+Name {
		os.Exit(sdk.Serve(New()))
	}
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	dir := t.TempDir()
	plugintest.Run(t, New(WithGetenv(func(k string) string {
		if k == "OLLAMA_MODELS" {
			return dir
		}
		return ""
	})), plugintest.WithName(Name))
}

func TestConformanceBinary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "imageworks-backend-"+Name)
	copySelf(t, path)
	plugintest.RunBinary(t, path)
}

// copySelf puts a copy of the test binary at path.
func copySelf(t *testing.T, path string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Link(self, path); err == nil {
		return
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
