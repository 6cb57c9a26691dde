package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/imageworks-ai/loader/sdk/plugintest"

	"example.com/imageworks-backend-llamacpp/llamacpp"
)

// TestConformance runs the sdk's conformance kit against the backend in
// this process, through the plugin protocol.
func TestConformance(t *testing.T) {
	plugintest.Run(t, llamacpp.New(), plugintest.WithName(llamacpp.Name))
}

// TestConformanceBinary builds the plugin and runs the kit against it
// through the loader's real plugin host.
func TestConformanceBinary(t *testing.T) {
	// go test puts its own GOROOT/bin first on the test's PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("finding the go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "imageworks-backend-llamacpp")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plugintest.RunBinary(t, bin)
}
