//go:build unix

package supervise

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestActivateMissingProgram: a server program that is not there (a bare
// name not on PATH, or no file at a path) is a *NoExecutableError naming
// it, and no state is left; a program that is there but cannot run (its
// interpreter missing) is not.
func TestActivateMissingProgram(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "server.sh")
	if err := os.WriteFile(script, []byte("#!/nonexistent/interpreter\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		argv []string
		dir  string
		want string // NoExecutableError's message, "" for none
	}{
		{argv: []string{"iwl-no-such-server", "serve"}, want: `server executable "iwl-no-such-server" not found on PATH`},
		{argv: []string{filepath.Join(dir, "nope"), "serve"}, want: `server executable "` + filepath.Join(dir, "nope") + `" not found`},
		{argv: []string{"./nope"}, dir: dir, want: `server executable "./nope" not found`},
		{argv: []string{"./server.sh"}, dir: dir},
	} {
		s := New(Options{StateFile: filepath.Join(dir, "state", "active_vllm.json")})
		port := freePort(t)
		_, err := s.Activate(context.Background(), Launch{LogicalName: "m", Host: "127.0.0.1", Port: port, Argv: tc.argv, Dir: tc.dir})
		var ne *NoExecutableError
		switch {
		case err == nil:
			t.Fatalf("Activate(%q) succeeded", tc.argv)
		case tc.want == "" && errors.As(err, &ne):
			t.Errorf("Activate(%q) = %v, want an error other than *NoExecutableError", tc.argv, err)
		case tc.want != "" && (!errors.As(err, &ne) || err.Error() != tc.want || ne.Program != tc.argv[0]):
			t.Errorf("Activate(%q) = %v (%T), want *NoExecutableError %q", tc.argv, err, err, tc.want)
		}
		if _, err := os.Stat(s.StatePath(port)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Activate(%q) left a state file (stat error %v)", tc.argv, err)
		}
	}
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
