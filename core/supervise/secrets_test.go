//go:build unix

package supervise

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// TestActivateMasksSecrets: a server that prints its arguments and exits
// fails to start; its log's command line masks the --api-key value and
// the credential the plugin marked, the StartError quoting the log's tail
// shows neither, and the log (left 0644 by an earlier run) is 0600.
func TestActivateMasksSecrets(t *testing.T) {
	const key, marked = "sk-supervise-7f3a", "marked-9c1d"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := New(Options{StateFile: filepath.Join(t.TempDir(), "active_vllm.json"), StartTimeout: 10 * time.Second, PollInterval: 20 * time.Millisecond})
	logPath := s.LogPath(port)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte("old run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Activate(context.Background(), Launch{
		LogicalName: "m",
		Host:        "127.0.0.1",
		Port:        port,
		Argv:        []string{"/bin/sh", "-c", `echo "args: $*"; exit 3`, "sh", "--api-key", key, "--extra=" + marked},
		ReadyPath:   "/health",
		Secrets:     []sdk.Secret{marked},
	})
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("Activate() error = %v, want a *StartError", err)
	}
	if msg := err.Error(); strings.Contains(msg, key) || strings.Contains(msg, marked) || !strings.Contains(msg, "xxxxx") {
		t.Errorf("Activate() error = %q, want the credentials masked", msg)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	header, _, _ := strings.Cut(string(data), "\n")
	if strings.Contains(header, key) || strings.Contains(header, marked) || !strings.Contains(header, `"--api-key" "xxxxx" "--extra=xxxxx"`) {
		t.Errorf("log's command line = %q, want the credentials masked", header)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode = %v, %v, want 0600", fi.Mode().Perm(), err)
	}
}
