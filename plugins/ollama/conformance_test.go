package ollama

import (
	"os"
	"testing"

	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// The test binary doubles as the plugin: started as
// imageworks-backend-ollama (by TestConformanceBinary, through the real plugin
// host), it serves the backend.
func TestMain(m *testing.M) {
	plugintest.ServeIfNamed(Name, New())
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
	plugintest.RunBinary(t, plugintest.CopySelf(t, Name))
}
