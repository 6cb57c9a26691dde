//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// Fake plugins that misbehave. The test binary runs as one when its name
// is imageworks-backend-KIND for a KIND below; the script command
// fakeplugin copies the binary under that name.
var fakePlugins = map[string]func(){
	// exiter dies at once with a message.
	"exiter": func() {
		fmt.Fprintln(os.Stderr, "exiter: cannot load model weights")
		os.Exit(3)
	},
	// hanger starts a child that outlives nothing and never answers the handshake.
	"hanger": func() {
		child := exec.Command("sleep", "300")
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "hanger:", err)
			os.Exit(1)
		}
		writePIDs(os.Getpid(), child.Process.Pid)
		fmt.Fprintln(os.Stderr, "hanger: waiting forever")
		select {}
	},
	// straystdout is the vLLM backend that, once serving, prints to
	// stdout in every Health call, through os.Stdout and straight to fd 1.
	"straystdout": func() { os.Exit(sdk.Serve(strayStdout{vllm.New()})) },
	// chatty prints text instead of a handshake, then waits.
	"chatty": func() {
		writePIDs(os.Getpid())
		fmt.Println("Welcome to chatty backend 1.0!")
		fmt.Fprintln(os.Stderr, "chatty: printed a banner")
		time.Sleep(300 * time.Second)
	},
}

// strayStdout writes to stdout after the handshake.
type strayStdout struct{ *vllm.Backend }

func (b strayStdout) Info(ctx context.Context) (sdk.Info, error) {
	info, err := b.Backend.Info(ctx)
	info.Name = "straystdout"
	return info, err
}

func (b strayStdout) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	fmt.Println("STRAY through os.Stdout")
	_, _ = syscall.Write(1, []byte("STRAY straight to fd 1\n"))
	return b.Backend.Health(ctx, req)
}

// runFakePlugin runs the fake plugin the binary is named after, if any.
func runFakePlugin() bool {
	kind, ok := strings.CutPrefix(filepath.Base(os.Args[0]), "imageworks-backend-")
	if !ok {
		return false
	}
	f, ok := fakePlugins[kind]
	if !ok {
		return false
	}
	f()
	return true
}

// writePIDs appends pids to the file IMAGEWORKS_PLUGIN_TEST_PIDFILE names.
func writePIDs(pids ...int) {
	path := os.Getenv("IMAGEWORKS_PLUGIN_TEST_PIDFILE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	for _, p := range pids {
		fmt.Fprintln(f, p)
	}
}

// fakeplugin KIND DIR: installs the fake plugin KIND as DIR/imageworks-backend-KIND.
func cmdFakePlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fakeplugin KIND DIR")
	}
	if _, ok := fakePlugins[args[0]]; !ok {
		ts.Fatalf("fakeplugin: unknown kind %q", args[0])
	}
	copyExecutable(ts, mustExecutable(ts), filepath.Join(ts.MkAbs(args[1]), "imageworks-backend-"+args[0]))
}

// dead PIDFILE: every process listed in PIDFILE has exited (waiting up to
// two seconds for the kernel to reap them).
func cmdDead(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dead PIDFILE")
	}
	lines := strings.Fields(ts.ReadFile(args[0]))
	if len(lines) == 0 {
		ts.Fatalf("dead: %s lists no process", args[0])
	}
	deadline := time.Now().Add(2 * time.Second)
	for _, l := range lines {
		pid, err := strconv.Atoi(l)
		ts.Check(err)
		for alive(pid) {
			if time.Now().After(deadline) {
				ts.Fatalf("process %d is still running", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
