package warm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/internal/servetest"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"

	"github.com/imageworks-ai/loader/internal/safefile"
)

func TestMain(m *testing.M) {
	plugintest.ServeIfNamed(servetest.Name, servetest.New())
	plugintest.ServeIfNamed(lifeName, lifeBackend{})
	os.Exit(m.Run())
}

// newPool returns a Pool that finds only the test plugin.
func newPool(t *testing.T, opts Options) *Pool {
	t.Helper()
	return newPoolOf(t, servetest.Name, opts)
}

// newPoolOf returns a Pool that finds only the test plugin named name.
func newPoolOf(t *testing.T, name string, opts Options) *Pool {
	t.Helper()
	dir := filepath.Dir(plugintest.CopySelf(t, name))
	opts.Host = pluginhost.Options{Dirs: []string{dir}, Getenv: func(string) string { return "" }, StartTimeout: 20 * time.Second}
	p := New(opts)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func request(name string, raw string, live bool) sdk.ResolveRequest {
	return sdk.ResolveRequest{Entry: sdk.Entry{Name: name, Backend: servetest.Name, Raw: json.RawMessage(raw)}, Live: live}
}

func resolve(t *testing.T, p *Pool, req sdk.ResolveRequest) sdk.Resolution {
	t.Helper()
	b, err := p.Backend(context.Background(), servetest.Name)
	if err != nil {
		t.Fatalf("Backend(%s) = %v", servetest.Name, err)
	}
	res, err := b.Resolve(context.Background(), req)
	if err != nil {
		t.Fatalf("Resolve(%s) = %v", req.Entry.Name, err)
	}
	return res
}

func TestResolveCachedPerContentAndStart(t *testing.T) {
	p := newPool(t, Options{})
	first := resolve(t, p, request("a", `{"name":"a"}`, false))
	again := resolve(t, p, request("a", `{"name":"a"}`, false))
	if servetest.Note(again.Notes, "call") != servetest.Note(first.Notes, "call") {
		t.Errorf("second Resolve of the same entry = call %s, want the cached call %s", servetest.Note(again.Notes, "call"), servetest.Note(first.Notes, "call"))
	}
	// The cache keeps its own copy: callers changing their answers
	// (the first one, not from the cache, and a cached one) change nothing.
	pid := first.Notes[0]
	first.Notes[0], again.Notes[0] = "changed by a caller", "changed by a caller"
	if third := resolve(t, p, request("a", `{"name":"a"}`, false)); third.Notes[0] != pid {
		t.Errorf("cached Resolve = notes %q, want %q first: a caller's change reached the cache", third.Notes, pid)
	}
	first.Notes[0] = pid
	edited := resolve(t, p, request("a", `{"name":"a","port":1}`, false))
	if servetest.Note(edited.Notes, "call") == servetest.Note(first.Notes, "call") {
		t.Error("Resolve of an edited entry came from the cache")
	}
	live := resolve(t, p, request("a", `{"name":"a"}`, true))
	if servetest.Note(live.Notes, "call") == servetest.Note(first.Notes, "call") {
		t.Error("a live Resolve came from the cache")
	}
	kill(t, first)
	b, _ := p.Backend(context.Background(), servetest.Name)
	if _, err := b.Resolve(context.Background(), request("a", `{"name":"a"}`, true)); !errors.Is(err, pluginhost.ErrPluginCrashed) {
		t.Fatalf("Resolve on a killed plugin = %v, want ErrPluginCrashed", err)
	}
	after := resolve(t, p, request("a", `{"name":"a"}`, false))
	if servetest.Note(after.Notes, "pid") == servetest.Note(first.Notes, "pid") {
		t.Fatal("the plugin was not restarted")
	}
	if servetest.Note(after.Notes, "call") != "1" {
		t.Errorf("Resolve after a restart = call %s, want a fresh call 1 (the cache is dropped with the plugin)", servetest.Note(after.Notes, "call"))
	}
}

// kill kills the plugin process that answered res.
func kill(t *testing.T, res sdk.Resolution) {
	t.Helper()
	pid, err := strconv.Atoi(servetest.Note(res.Notes, "pid"))
	if err != nil {
		t.Fatalf("no pid in %q", res.Notes)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// TestKilledMidLoad kills the plugin while workers keep calling it: only
// the calls in flight fail (at most one per worker), the next ones reach
// a restarted plugin, and nothing hangs.
func TestKilledMidLoad(t *testing.T) {
	p := newPool(t, Options{})
	first := resolve(t, p, request("slow", `{"resolve_delay_ms":20}`, true))
	const workers = 6
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		failures = map[int]int{}
		pids     = map[string]bool{}
	)
	stop := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				b, err := p.Backend(ctx, servetest.Name)
				var res sdk.Resolution
				if err == nil {
					res, err = b.Resolve(ctx, request("slow", `{"resolve_delay_ms":20}`, true))
				}
				cancel()
				mu.Lock()
				if err != nil {
					failures[w]++
				} else {
					pids[servetest.Note(res.Notes, "pid")] = true
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	kill(t, first)
	deadline := time.Now().Add(15 * time.Second)
	for {
		mu.Lock()
		n := len(pids)
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	if len(pids) != 2 {
		t.Fatalf("plugins that answered = %v, want the first and one restart", pids)
	}
	for w, n := range failures {
		if n > 1 {
			t.Errorf("worker %d failed %d times, want at most its one call in flight", w, n)
		}
	}
}

func TestBackoff(t *testing.T) {
	now := time.Unix(1000, 0)
	p := New(Options{Host: pluginhost.Options{Dirs: []string{t.TempDir()}, Getenv: func(string) string { return "" }}, Now: func() time.Time { return now }})
	defer p.Close()
	ctx := context.Background()
	if _, err := p.Backend(ctx, "absent"); !errors.Is(err, pluginhost.ErrPluginNotFound) {
		t.Fatalf("first Backend(absent) = %v, want ErrPluginNotFound", err)
	}
	// The first failure is retried at once, the second waits MinBackoff.
	if _, err := p.Backend(ctx, "absent"); !errors.Is(err, pluginhost.ErrPluginNotFound) {
		t.Fatalf("second Backend(absent) = %v, want another try", err)
	}
	_, err := p.Backend(ctx, "absent")
	if !errors.Is(err, ErrBackingOff) || !errors.Is(err, pluginhost.ErrPluginNotFound) {
		t.Fatalf("third Backend(absent) at once = %v, want ErrBackingOff wrapping the last failure", err)
	}
	now = now.Add(DefaultMinBackoff)
	if _, err := p.Backend(ctx, "absent"); errors.Is(err, ErrBackingOff) {
		t.Fatalf("Backend(absent) after the backoff = %v, want a new try", err)
	}
	want := []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	for i, w := range want {
		if got := p.backoff(i); got != w {
			t.Errorf("backoff(%d) = %s, want %s", i, got, w)
		}
	}
	if got := p.backoff(40); got != DefaultMaxBackoff {
		t.Errorf("backoff(40) = %s, want the cap %s", got, DefaultMaxBackoff)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Backend(ctx, "absent"); !errors.Is(err, ErrClosed) {
		t.Errorf("Backend after Close = %v, want ErrClosed", err)
	}
}

// TestStuckPluginTimesOut: a plugin that stops answering costs the call its
// deadline, never a hang, and the next call gets a fresh plugin.
func TestStuckPluginTimesOut(t *testing.T) {
	p := newPool(t, Options{})
	p.opts.Host.CallTimeout = 300 * time.Millisecond
	first := resolve(t, p, request("a", `{}`, true))
	b, err := p.Backend(context.Background(), servetest.Name)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = b.Resolve(context.Background(), request("stuck", `{"resolve_delay_ms": 60000}`, true))
	if !errors.Is(err, pluginhost.ErrPluginTimeout) {
		t.Fatalf("Resolve of a stuck call = %v, want ErrPluginTimeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the stuck call took %v", took)
	}
	after := resolve(t, p, request("a", `{}`, true))
	if servetest.Note(after.Notes, "pid") == servetest.Note(first.Notes, "pid") {
		t.Error("the stuck plugin was not replaced")
	}
}

// TestMisnamedPluginIsAFailedStart: the host checks a plugin's name beside
// its first call; the pool asks at once, so a plugin whose Info names
// another backend fails its start (and backs off) instead of being kept.
func TestMisnamedPluginIsAFailedStart(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the misnamed plugin is a shell script")
	}
	real := plugintest.CopySelf(t, servetest.Name)
	dir := t.TempDir()
	script := "#!/bin/sh\nexec '" + real + "' \"$@\"\n"
	if err := safefile.WriteExecutable(filepath.Join(dir, pluginhost.ExecutablePrefix+"liar"), strings.NewReader(script), 0o755); err != nil {
		t.Fatal(err)
	}
	p := New(Options{Host: pluginhost.Options{Dirs: []string{dir}, Getenv: func(string) string { return "" }, StartTimeout: 20 * time.Second}})
	t.Cleanup(func() { _ = p.Close() })
	if b, err := p.Backend(context.Background(), "liar"); !errors.Is(err, pluginhost.ErrNameMismatch) {
		t.Fatalf("Backend(liar) = %v, %v; want a failed start with ErrNameMismatch", b, err)
	}
}

// lifeName is the test plugin with the lifecycle calls (servetest has
// none); TestMain serves it.
const lifeName = "warmlife"

// lifeBackend answers every lifecycle call with its process id, so a test
// can tell the plugin answered and not the pool.
type lifeBackend struct{}

func (lifeBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: lifeName, Version: "1", DefaultPort: 9}, nil
}

func (lifeBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: "http://127.0.0.1:9/v1", InternalModelID: req.Entry.Name}, nil
}

func (lifeBackend) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	return sdk.ServerCommand{Argv: []string{"serve", req.Entry.Name, fmt.Sprint(os.Getpid())}, ServedModelID: req.Entry.Name}, nil
}

func (lifeBackend) LoadModel(_ context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	return sdk.LoadedModel{ID: fmt.Sprintf("%s@%d", req.Entry.Name, os.Getpid())}, nil
}

func (lifeBackend) UnloadModel(_ context.Context, req sdk.LoadModelRequest) error {
	return fmt.Errorf("unloading %s: %w", req.Entry.Name, sdk.ErrModelNotFound)
}

func (lifeBackend) LoadedModels(context.Context, sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return []sdk.LoadedModel{{ID: fmt.Sprintf("loaded@%d", os.Getpid())}}, nil
}

// TestLifecycleCallsReachThePlugin: the backend a Pool hands out passes
// the lifecycle calls (sdk.ServerRunner, sdk.ModelLoader) on to the plugin,
// as core.Activate and core.Loaded find them by type assertion; a plugin
// without them answers ErrNotImplemented through the pool.
func TestLifecycleCallsReachThePlugin(t *testing.T) {
	p := newPoolOf(t, lifeName, Options{})
	ctx := context.Background()
	b, err := p.Backend(ctx, lifeName)
	if err != nil {
		t.Fatal(err)
	}
	entry := sdk.Entry{Name: "m", Backend: lifeName}

	r, ok := b.(sdk.ServerRunner)
	if !ok {
		t.Fatalf("the pool's backend %T is not an sdk.ServerRunner", b)
	}
	cmd, err := r.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry, Host: "127.0.0.1", Port: 9})
	if err != nil {
		t.Fatalf("ServerCommand = %v", err)
	}
	if len(cmd.Argv) != 3 || cmd.Argv[1] != "m" || cmd.Argv[2] == fmt.Sprint(os.Getpid()) || cmd.ServedModelID != "m" {
		t.Errorf("ServerCommand = %+v, want the plugin's answer for m", cmd)
	}
	pid := cmd.Argv[len(cmd.Argv)-1]

	l, ok := b.(sdk.ModelLoader)
	if !ok {
		t.Fatalf("the pool's backend %T is not an sdk.ModelLoader", b)
	}
	loaded, err := l.LoadModel(ctx, sdk.LoadModelRequest{Entry: entry})
	if err != nil || loaded.ID != "m@"+pid {
		t.Errorf("LoadModel = %+v, %v; want m@%s from the plugin", loaded, err, pid)
	}
	if err := l.UnloadModel(ctx, sdk.LoadModelRequest{Entry: entry}); !errors.Is(err, sdk.ErrModelNotFound) {
		t.Errorf("UnloadModel = %v, want the plugin's ErrModelNotFound", err)
	}
	all, err := l.LoadedModels(ctx, sdk.LoadedModelsRequest{})
	if err != nil || len(all) != 1 || all[0].ID != "loaded@"+pid {
		t.Errorf("LoadedModels = %+v, %v; want [loaded@%s] from the plugin", all, err, pid)
	}

	plain := newPool(t, Options{})
	sb, err := plain.Backend(ctx, servetest.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.(sdk.ServerRunner).ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("ServerCommand on a plugin without it = %v, want ErrNotImplemented", err)
	}
}

// TestWaitForStartEndsWithCtx: a caller waiting for another caller's start
// of the same plugin gives up when its ctx ends; once that start is over,
// the next caller starts the plugin.
func TestWaitForStartEndsWithCtx(t *testing.T) {
	p := newPool(t, Options{})
	m, err := p.member(servetest.Name)
	if err != nil {
		t.Fatal(err)
	}
	m.start <- struct{}{} // another caller's start in progress
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if b, err := p.Backend(ctx, servetest.Name); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Backend while another start is in progress = %v, %v; want the ctx's DeadlineExceeded", b, err)
	}
	<-m.start // that start ends
	resolve(t, p, request("a", `{}`, false))
}
