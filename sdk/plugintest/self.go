package plugintest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/imageworks-ai/loader/sdk"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// ServeIfNamed lets a plugin's test binary double as the plugin, so that
// RunBinary can check it without a separate build. When the running
// executable is named imageworks-backend-NAME for name (as CopySelf names
// it), ServeIfNamed serves b with sdk.Serve and exits the process with its
// code; otherwise it returns at once. Call it first in TestMain:
//
//	func TestMain(m *testing.M) {
//		plugintest.ServeIfNamed(mine.Name, mine.New())
//		os.Exit(m.Run())
//	}
func ServeIfNamed(name string, b sdk.Backend) {
	if got, err := nameFromPath(os.Args[0]); err == nil && got == name {
		os.Exit(sdk.Serve(b))
	}
}

// CopySelf puts the running test binary (a hard link when it can, else a
// copy) in a fresh temporary directory as imageworks-backend-NAME (.exe on
// Windows) and returns its path, for RunBinary. With ServeIfNamed in
// TestMain, the copy serves the backend when the host starts it. A failure
// ends the test.
func CopySelf(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "imageworks-backend-"+name)
	if runtime.GOOS == "windows" {
		path += ".exe"
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("CopySelf: finding the test binary: %v", err)
	}
	if err := os.Link(self, path); err == nil {
		return path
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatalf("CopySelf: %v", err)
	}
	defer in.Close()
	// Held open for writing while the kit's other tests fork, the copy
	// could not be run ("text file busy"): WriteExecutable prevents that.
	if err := safefile.WriteExecutable(path, in, 0o755); err != nil {
		t.Fatalf("CopySelf: copying %s to %s: %v", self, path, err)
	}
	return path
}
