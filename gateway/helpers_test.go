package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// envStandin makes this test binary a stand-in vLLM server: the servers
// the gateway starts are this binary, run from a wrapper script that sets
// it (see standinExe).
const envStandin = "IWL_GATEWAY_TEST_STANDIN"

func TestMain(m *testing.M) {
	if os.Getenv(envStandin) == "vllm" {
		os.Exit(standin.ServerMain(standin.VLLM, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// standinExe writes an executable that runs the stand-in vLLM with env
// set, for backend_config.executable.
func standinExe(t *testing.T, env map[string]string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	fmt.Fprintf(&b, "export %s=vllm\n", envStandin)
	for k, v := range env {
		fmt.Fprintf(&b, "export %s='%s'\n", k, v)
	}
	fmt.Fprintf(&b, "exec '%s' \"$@\"\n", self)
	path := filepath.Join(t.TempDir(), "vllm-standin")
	if err := safefile.WriteExecutable(path, strings.NewReader(b.String()), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fixture is a registry, a loader over it and a gateway in front.
type fixture struct {
	t    testing.TB
	dir  string
	l    *core.Loader
	gw   *Gateway
	srv  *httptest.Server
	opts Options
}

// newFixture writes the curated layer (entries as JSON) and the
// discovered one, opens a loader with the in-process vLLM and Ollama backends and
// starts a gateway. Close stops every server it started.
func newFixture(t testing.TB, curated, discovered string, opts Options) *fixture {
	t.Helper()
	return newFleetFixture(t, curated, discovered, opts, nil)
}

// newFleetFixture is newFixture with the loader in fl (nil: no fleet), as
// host "gw".
func newFleetFixture(t testing.TB, curated, discovered string, opts Options, fl fleet.Fleet) *fixture {
	t.Helper()
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("model_registry.curated.json", curated)
	if discovered != "" {
		write("model_registry.discovered.json", discovered)
	}
	ctx := context.Background()
	l, err := core.Open(ctx, core.Options{RegistryDir: dir, Backends: map[string]sdk.Backend{"vllm": vllm.New(), "ollama": ollama.New()},
		Fleet: fl, HostID: "gw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	opts.Lifecycle.Supervisor = supervise.Options{StateFile: filepath.Join(dir, "state", "active.json"),
		StartTimeout: 20 * time.Second, StopTimeout: 5 * time.Second}
	if opts.Lifecycle.Port == 0 {
		opts.Lifecycle.Port = freePort(t)
	}
	gw, err := New(ctx, l, opts)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dir: dir, l: l, gw: gw, opts: opts}
	f.srv = httptest.NewServer(gw)
	t.Cleanup(func() {
		f.srv.Close()
		if err := gw.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// post sends body to path and returns the answer, read whole.
func (f *fixture) post(path, body string) (*http.Response, []byte) {
	f.t.Helper()
	resp, err := http.Post(f.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, b
}

// chat is a chat body for model.
func chat(model string) string {
	return `{"model": ` + jsonString(model) + `, "messages": [{"role": "user", "content": "hi"}]}`
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errType is the "error.type" of an error answer, checking that
// "detail.error" holds the same object.
func errType(t *testing.T, body []byte) string {
	t.Helper()
	var v struct {
		Error  map[string]any `json:"error"`
		Detail struct {
			Error map[string]any `json:"error"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(body, &v); err != nil || v.Error == nil {
		t.Fatalf("not an error answer: %s", body)
	}
	if fmt.Sprint(v.Error) != fmt.Sprint(v.Detail.Error) {
		t.Errorf("error %v and detail.error %v differ", v.Error, v.Detail.Error)
	}
	typ, _ := v.Error["type"].(string)
	return typ
}

// readLines reads a body log written by the stand-ins.
func readLines(t *testing.T, path string) []map[string]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer fh.Close()
	var out []map[string]string
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// pidAlive reports whether the server recorded for port in the fixture's
// state runs.
func (f *fixture) current(port int) *supervise.State {
	f.t.Helper()
	st, err := supervise.New(f.opts.Lifecycle.Supervisor).Current(context.Background(), port)
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// pidRuns reports whether pid is a live process: a zombie (stopped, not
// yet reaped by the goroutine that waits for it) is not, and a moment is
// allowed for the reaping.
func pidRuns(pid int) bool {
	deadline := time.Now().Add(time.Second)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return syscall.Kill(pid, 0) == nil && runtime.GOOS != "linux"
		}
		// The state follows the command name's closing parenthesis.
		if i := strings.LastIndexByte(string(stat), ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			return false
		}
		if time.Now().After(deadline) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
}
