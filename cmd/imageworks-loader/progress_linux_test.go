//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the controller and the terminal.
func openPTY(t *testing.T) (ctrl, tty *os.File) {
	t.Helper()
	ctrl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(ctrl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ctrl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty: %v", err)
	}
	t.Cleanup(func() { ctrl.Close(); tty.Close() })
	return ctrl, tty
}

// TestProgressBarOnlyOnTerminal: hashing draws a progress bar on stderr
// when stderr is a terminal, and writes nothing there otherwise.
func TestProgressBarOnlyOnTerminal(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(model, "weights.bin"), bytes.Repeat([]byte("w"), 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	curated := `[{"name": "m", "backend": "vllm", "backend_config": {"model_path": "model"}}]`
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--registry-dir", dir, "verify", "m"}

	// Not a terminal: stderr stays empty.
	var stdout, stderr bytes.Buffer
	if code := Main(args, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("verify = %d: %s", code, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("verify wrote %q to a non-terminal stderr, want nothing", stderr.String())
	}

	// A terminal: the bar is drawn there, and stdout still holds only JSON.
	ctrl, tty := openPTY(t)
	var drawn bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&drawn, ctrl); close(done) }()
	stdout.Reset()
	if code := Main(args, Env{Stdout: &stdout, Stderr: tty, Getenv: func(string) string { return "" }}); code != 0 {
		t.Fatalf("verify on a terminal = %d", code)
	}
	tty.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		ctrl.Close() // unblock the copy, then wait for it before reading
		<-done
	}
	if !strings.Contains(drawn.String(), "hashing m") {
		t.Errorf("terminal stderr = %q, want a progress bar titled \"hashing m\"", drawn.String())
	}
	if !strings.HasPrefix(stdout.String(), "{") {
		t.Errorf("stdout = %q, want the JSON result only", stdout.String())
	}
}
