package lmdeploy

import (
	"os"
	"testing"

	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// The test binary doubles as the plugin: started as
// imageworks-backend-lmdeploy (by TestConformanceBinary, through the real plugin
// host), it serves the backend.
func TestMain(m *testing.M) {
	plugintest.ServeIfNamed(Name, New())
	os.Exit(m.Run())
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, New(), plugintest.WithName(Name))
}

func TestConformanceBinary(t *testing.T) {
	plugintest.RunBinary(t, plugintest.CopySelf(t, Name))
}
