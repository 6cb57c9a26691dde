//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// TestActivateWaitShownOnlyOnTerminal: while activate waits for the
// server, a terminal's stderr shows the wait; any other stderr stays empty.
func TestActivateWaitShownOnlyOnTerminal(t *testing.T) {
	// testscript.Main has put the stand-in vllm (this test binary, taking
	// the real flags) on PATH; wrap it in a vllm that is slow to start.
	standinVLLM, err := exec.LookPath("vllm")
	if err != nil {
		t.Fatalf("the stand-in vllm is not on PATH: %v", err)
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nsleep 0.4\nexec " + standinVLLM + " \"$@\"\n"
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := safefile.WriteExecutable(filepath.Join(bin, "vllm"), strings.NewReader(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	curated := `[{"name": "m", "backend": "vllm", "backend_config": {"model_path": "/models/m"}}]`
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := core.Open(ctx, core.Options{RegistryDir: dir, Backends: map[string]sdk.Backend{"vllm": vllm.New()}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	opts := SlotFlags{Port: freePort(t), StateFile: filepath.Join(dir, "state", "active.json"), StopTimeout: 5 * time.Second}.options(&App{Globals: &Globals{}, Env: Env{Getenv: os.Getenv}}, 20*time.Second)
	stop := func() {
		if _, err := core.StopServer(ctx, "", opts); err != nil {
			t.Error(err)
		}
	}
	defer stop()

	// Not a terminal: nothing on stderr.
	var stderr bytes.Buffer
	a := &App{Globals: &Globals{}, Env: Env{Stdout: io.Discard, Stderr: &stderr, Getenv: os.Getenv}}
	if _, err := activate(ctx, a, l, "m", opts); err != nil {
		t.Fatal(err)
	}
	if stderr.Len() != 0 {
		t.Errorf("activate wrote %q to a non-terminal stderr, want nothing", stderr.String())
	}
	stop()

	// A terminal: the wait is shown.
	ctrl, tty := openPTY(t)
	var drawn bytes.Buffer
	done := make(chan struct{})
	go func() { _, _ = io.Copy(&drawn, ctrl); close(done) }()
	a.Env.Stderr = tty
	if _, err := activate(ctx, a, l, "m", opts); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		ctrl.Close()
		<-done
	}
	if !strings.Contains(drawn.String(), "waiting for m to be ready") {
		t.Errorf("terminal stderr = %q, want the wait shown", drawn.String())
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := pickPort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}
