//go:build unix

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// The test binary doubles as every fake plugin: run under a name
// imageworks-backend-MODE[...], it behaves as MODE says (see fakePlugin).
func TestMain(m *testing.M) {
	if base := filepath.Base(os.Args[0]); strings.HasPrefix(base, ExecutablePrefix) {
		os.Exit(fakePlugin(base))
	}
	if dir := os.Getenv(envHostDir); dir != "" {
		os.Exit(fakeHost(dir))
	}
	os.Exit(m.Run())
}

// Environment variables of the fake plugins (allowed through by the
// IMAGEWORKS_PLUGIN_ prefix).
const (
	envOut   = "IMAGEWORKS_PLUGIN_TEST_OUT"   // file the plugin appends reports to
	envChild = "IMAGEWORKS_PLUGIN_TEST_CHILD" // set in a fake plugin's child
	// envHostDir makes the test binary a host, as the CLI would be, using
	// the plugin "parent" from the folder it names.
	envHostDir = "PLUGINHOST_TEST_HOST_DIR"
)

// fakeHost starts plugin "parent" and waits for SIGINT or SIGTERM, closing
// the Host the way the CLI's loader does: context.AfterFunc on the signal
// context, and a deferred Close on the way out.
func fakeHost(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h := New(Options{Dirs: []string{dir}, ExecutableDir: dir})
	defer h.Close()
	context.AfterFunc(ctx, func() { _ = h.Close() })
	if _, err := h.Backend(ctx, "parent"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	<-ctx.Done()
	return 0
}

// fakePlugin runs the mode named by the executable's name:
//
//	crash   writes to stderr and exits 3 at once
//	hang    starts a child, reports "pids PID CHILD", never shakes hands
//	text    starts a child, reports its pids, prints text on stdout, hangs
//	liar    serves, but its Info names another backend
//	mute    serves, but Info never returns
//	sulky   serves, but Info fails
//	slow    serves; Resolve never returns
//	die     serves; Resolve exits with status 7 after two lines on stderr
//	parent  serves after starting a child, reports its pids
//	env     serves after reporting its environment, one "env K=V" line each
//	prober  serves; ProbeVision takes 700ms
//	echo    serves the lifecycle calls, echoing the request's key and
//	        endpoint in every answer and error
//	other   serves (any other name)
//
// Serving plugins report "start PID" first.
func fakePlugin(base string) int {
	name, _, _, ok := parseFileName(base, "linux")
	if !ok {
		name, _, _, _ = parseFileName(strings.TrimSuffix(base, ".exe")+".exe", "windows")
	}
	if os.Getenv(envChild) != "" {
		time.Sleep(time.Hour)
		return 0
	}
	switch name {
	case "crash":
		fmt.Fprintln(os.Stderr, "warming up")
		fmt.Fprintln(os.Stderr, "boom: cannot open /etc/fake.conf")
		return 3
	case "hang":
		report("pids %d %d", os.Getpid(), startChild())
		time.Sleep(time.Hour)
		return 0
	case "text":
		report("pids %d %d", os.Getpid(), startChild())
		fmt.Fprintln(os.Stderr, "about to say hello")
		time.Sleep(50 * time.Millisecond)
		fmt.Println("hello, I am not a plugin")
		time.Sleep(time.Hour)
		return 0
	case "parent":
		report("pids %d %d", os.Getpid(), startChild())
	case "env":
		for _, kv := range os.Environ() {
			report("env %s", kv)
		}
	}
	report("start %d", os.Getpid())
	if name == "echo" {
		return sdk.Serve(&echoBackend{fakeBackend{name: name}})
	}
	return sdk.Serve(&fakeBackend{name: name})
}

// report appends a line to the file named by envOut, if set.
func report(format string, args ...any) {
	out := os.Getenv(envOut)
	if out == "" {
		return
	}
	f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, format+"\n", args...)
}

// startChild starts a copy of this program that sleeps, and returns its pid.
func startChild() int {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envChild+"=1")
	cmd.Stdout = os.Stdout // hold the plugin's pipes open, as a real child would
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting child:", err)
		os.Exit(9)
	}
	return cmd.Process.Pid
}

type fakeBackend struct {
	sdk.Unimplemented
	name string
}

func (b *fakeBackend) Info(context.Context) (sdk.Info, error) {
	name := b.name
	switch name {
	case "liar":
		name = "somebody-else"
	case "mute":
		select {} // shakes hands, then never answers
	case "sulky":
		return sdk.Info{}, errors.New("not in the mood")
	}
	return sdk.Info{Name: name, Version: "1.2.3", Protocols: []int{1}, DefaultPort: 8000,
		Implements: []string{sdk.CallProbeVision}, Description: "fake " + name, Homepage: "https://example.com/" + name}, nil
}

// ProbeVision answers after 700ms for "prober"; the others do not
// implement it.
func (b *fakeBackend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	if b.name != "prober" {
		return b.Unimplemented.ProbeVision(ctx, req)
	}
	select {
	case <-time.After(700 * time.Millisecond):
		return sdk.ProbeResult{VisionOK: true, Model: req.ModelID}, nil
	case <-ctx.Done():
		return sdk.ProbeResult{}, ctx.Err()
	}
}

func (b *fakeBackend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	switch b.name {
	case "slow":
		select {} // ignores ctx: a hung plugin
	case "die":
		fmt.Fprintln(os.Stderr, "about to die") // through go-plugin's stderr stream
		time.Sleep(100 * time.Millisecond)
		// Straight to file descriptor 2, as the runtime reports a fatal error.
		_, _ = os.NewFile(2, "stderr").WriteString("fatal error: dying on purpose\n")
		os.Exit(7)
	}
	port := req.Entry.Config.Port
	if port == 0 {
		port = 8000
	}
	return sdk.Resolution{
		Endpoint:        "http://localhost:" + strconv.Itoa(port) + "/v1",
		InternalModelID: req.Entry.ServedModelID,
	}, nil
}

// echoBackend repeats what a request carries in every answer and error,
// as a careless plugin might.
type echoBackend struct{ fakeBackend }

func (b *echoBackend) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	if args := req.Entry.Config.ExtraArgs; len(args) > 0 {
		return sdk.ServerCommand{}, fmt.Errorf("cannot serve with extra_args %q", args)
	}
	return sdk.ServerCommand{Argv: []string{"server", "--upstream", req.Entry.Config.BaseURL}}, nil
}

func (b *echoBackend) LoadModel(_ context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	return sdk.LoadedModel{}, fmt.Errorf("cannot load through %s with key %s", req.Endpoint, req.APIKey.Reveal())
}

func (b *echoBackend) UnloadModel(_ context.Context, req sdk.LoadModelRequest) error {
	return fmt.Errorf("cannot unload through %s with key %s", req.Endpoint, req.APIKey.Reveal())
}

func (b *echoBackend) LoadedModels(_ context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return []sdk.LoadedModel{{ID: "model-from-" + req.Endpoint + "-" + req.APIKey.Reveal()}}, nil
}

// --- helpers for the tests ---

// installPlugins makes a folder holding the test binary under each of the
// given file names and returns it.
func installPlugins(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		installPlugin(t, dir, n)
	}
	return dir
}

// installPlugin puts the test binary at dir/name (hard link, else copy).
func installPlugin(t testing.TB, dir, name string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.Link(exe, dst); err == nil {
		return dst
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := safefile.WriteExecutable(dst, src, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// newTestHost returns a Host searching only dirs, with a fake environment
// (PATH and HOME set, plus env) and a short start timeout, closed when the
// test ends.
func newTestHost(t testing.TB, env testEnv, dirs ...string) *Host {
	t.Helper()
	full := testEnv{"PATH": os.Getenv("PATH"), "HOME": t.TempDir()}
	for k, v := range env {
		full[k] = v
	}
	h := New(Options{
		Dirs:          dirs,
		Getenv:        full.getenv,
		Environ:       full.environ,
		ExecutableDir: t.TempDir(),
		StartTimeout:  5 * time.Second,
	})
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// readReports returns the lines a fake plugin reported to out.
func readReports(t testing.TB, out string) []string {
	t.Helper()
	data, err := os.ReadFile(out)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	// Only whole lines: the file may exist, or hold half a line, while the
	// plugin is still writing it.
	var lines []string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if strings.HasSuffix(l, "\n") && strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	return lines
}

// reportedPids returns the pids in a "pids P C" or "start P" report.
func reportedPids(t testing.TB, out string) []int {
	t.Helper()
	for _, l := range readReports(t, out) {
		rest, ok := strings.CutPrefix(l, "pids ")
		if !ok {
			rest, ok = strings.CutPrefix(l, "start ")
		}
		if ok {
			var pids []int
			for _, f := range strings.Fields(rest) {
				n, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("bad report %q", l)
				}
				pids = append(pids, n)
			}
			return pids
		}
	}
	t.Fatalf("no pids reported in %s: %q", out, readReports(t, out))
	return nil
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

// waitGone fails the test unless every pid is gone within a few seconds.
func waitGone(t testing.TB, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Errorf("process %d still running", pid)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
