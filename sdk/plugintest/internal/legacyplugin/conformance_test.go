package legacyplugin

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// The test binary doubles as the plugin, named imageworks-backend-llamacpp.
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

// TestImplementsKept: Serve reports the plugin's own list, not every call
// that sdk.Unimplemented gives it a method for.
func TestImplementsKept(t *testing.T) {
	b := New()
	info, err := b.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := sdk.Implemented(b, info); !reflect.DeepEqual(got, []string{sdk.CallHealth}) {
		t.Errorf("sdk.Implemented(legacy llamacpp) = %q, want [Health], its own list", got)
	}
}
