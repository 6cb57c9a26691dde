//go:build unix

package pluginhost

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// The three failures the issue names: each is a typed error naming the
// plugin, carrying its stderr, within seconds, leaving no process behind.
func TestStartFailures(t *testing.T) {
	tests := []struct {
		mode       string
		want       error
		wantStderr string
		wantPids   bool
	}{
		{mode: "crash", want: ErrPluginCrashed, wantStderr: "boom: cannot open /etc/fake.conf"},
		{mode: "hang", want: ErrPluginTimeout, wantPids: true},
		{mode: "text", want: ErrHandshake, wantStderr: "about to say hello", wantPids: true},
		{mode: "mute", want: ErrPluginTimeout, wantPids: true},
		{mode: "sulky", want: ErrHandshake, wantPids: true},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			dir := installPlugins(t, ExecutablePrefix+tt.mode)
			// The start timeout comes from the environment here.
			h := newTestHost(t, testEnv{envOut: out, EnvStartTimeout: "1.5"}, dir)
			h.startTimeout = 0
			h = New(Options{Dirs: []string{dir}, Getenv: h.getenv, Environ: h.environ, ExecutableDir: t.TempDir()})
			t.Cleanup(func() { _ = h.Close() })

			start := time.Now()
			b, err := checked(context.Background(), h, tt.mode)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatalf("Backend(%q) = %v, nil; want an error", tt.mode, b)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Backend(%q) error = %v, want %v", tt.mode, err, tt.want)
			}
			t.Logf("Backend(%q) error: %v", tt.mode, err)
			var pe *PluginError
			if !errors.As(err, &pe) {
				t.Fatalf("Backend(%q) error = %T, want *PluginError", tt.mode, err)
			}
			if pe.Plugin != tt.mode || !strings.Contains(err.Error(), "plugin "+tt.mode) {
				t.Errorf("Backend(%q) error = %q, want it to name the plugin", tt.mode, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Backend(%q) error = %q, want one line", tt.mode, err)
			}
			if tt.wantStderr != "" && !strings.Contains(strings.Join(pe.Stderr, "\n"), tt.wantStderr) {
				t.Errorf("Backend(%q) stderr = %q, want it to contain %q", tt.mode, pe.Stderr, tt.wantStderr)
			}
			if elapsed > 4*time.Second {
				t.Errorf("Backend(%q) took %v, want a few seconds at most", tt.mode, elapsed)
			}
			if tt.wantPids {
				waitGone(t, reportedPids(t, out)...)
			}
			if tt.want == ErrPluginTimeout && elapsed < 1400*time.Millisecond {
				t.Errorf("Backend(hang) gave up after %v, want the 1.5s from %s", elapsed, EnvStartTimeout)
			}
		})
	}
}

func TestStartCancelled(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	h := newTestHost(t, testEnv{envOut: out}, installPlugins(t, ExecutablePrefix+"hang"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(readReports(t, out)) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err := h.Backend(ctx, "hang")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Backend(cancelled) error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Backend(cancelled) took %v, want it to stop at once", d)
	}
	waitGone(t, reportedPids(t, out)...)
	// A cancelled start is not remembered.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	if _, err := h.Backend(ctx2, "hang"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Backend(again) error = %v, want a new start cut by its own context", err)
	}
}

// checked returns the backend of name once the start's Info check is
// over: Backend's error, else the first call's (Info, which waits for it).
func checked(ctx context.Context, h *Host, name string) (sdk.Backend, error) {
	b, err := h.Backend(ctx, name)
	if err != nil {
		return nil, err
	}
	if _, err := b.Info(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// A plugin whose Info names another backend is refused before any result
// of it is used: the first call (here Resolve, sent beside the start's
// Info) fails with ErrNameMismatch, and so does every later Backend call.
func TestNameMismatch(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, nil, installPlugins(t, ExecutablePrefix+"liar"))
	b, err := h.Backend(context.Background(), "liar")
	if err != nil {
		t.Fatalf("Backend(liar) error = %v, want the refusal from the first call", err)
	}
	_, err = b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}})
	if !errors.Is(err, ErrNameMismatch) || !strings.Contains(err.Error(), "somebody-else") {
		t.Errorf("Resolve through liar error = %v, want ErrNameMismatch naming somebody-else", err)
	}
	if _, err := h.Backend(context.Background(), "liar"); !errors.Is(err, ErrNameMismatch) {
		t.Errorf("Backend(liar) again error = %v, want the remembered ErrNameMismatch", err)
	}
}

// Backend hands out the plugin once it has made its handshake, without
// waiting for Info (which goes out beside the first call): a plugin whose
// Info never answers is handed out at once, and its first call fails with
// the start timeout's message.
func TestBackendDoesNotWaitForInfo(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, nil, installPlugins(t, ExecutablePrefix+"mute"))
	h.startTimeout = 2 * time.Second
	start := time.Now()
	b, err := h.Backend(context.Background(), "mute")
	if err != nil {
		t.Fatalf("Backend(mute) error = %v, want the plugin once it shook hands", err)
	}
	if d := time.Since(start); d >= h.startTimeout {
		t.Errorf("Backend(mute) took %v, want it back before the %v start timeout", d, h.startTimeout)
	}
	_, err = b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}})
	if !errors.Is(err, ErrPluginTimeout) || !strings.Contains(err.Error(), "handshake but no answer to Info") {
		t.Errorf("Resolve through mute error = %v, want ErrPluginTimeout: handshake but no answer to Info", err)
	}
}

func TestBackendSharesOneProcess(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	h := newTestHost(t, testEnv{envOut: out}, installPlugins(t, ExecutablePrefix+"good"))
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for k := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := h.Backend(context.Background(), "good")
			if err == nil {
				_, err = b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", ServedModelID: "org/m"}})
			}
			errs[k] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("Backend(good) / Resolve error = %v", err)
		}
	}
	var starts int
	for _, l := range readReports(t, out) {
		if strings.HasPrefix(l, "start ") {
			starts++
		}
	}
	if starts != 1 {
		t.Errorf("plugin started %d times for 4 concurrent Backend calls, want 1", starts)
	}
	b, _ := h.Backend(context.Background(), "good")
	res, err := b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{ServedModelID: "x", Config: sdk.BackendConfig{Port: 24001}}})
	if err != nil || res.Endpoint != "http://localhost:24001/v1" || res.InternalModelID != "x" {
		t.Errorf("Resolve(port 24001) = %+v, %v; want http://localhost:24001/v1, x", res, err)
	}
	if _, err := b.(host.Remote).Health(context.Background(), sdk.HealthRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("Health() error = %v, want the plugin's own sdk.ErrNotImplemented", err)
	}
}

func TestEnvironmentAndSocketDir(t *testing.T) {
	for _, mtls := range []string{"", "1"} {
		t.Run("mtls="+mtls, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			h := newTestHost(t, testEnv{
				envOut:                    out,
				EnvMTLS:                   mtls,
				"LANG":                    "C.UTF-8",
				"AWS_SECRET_ACCESS_KEY":   "host-secret-1",
				"OPENAI_API_KEY":          "host-secret-2",
				"IMAGEWORKS_REGISTRY_DIR": "/somewhere",
			}, installPlugins(t, ExecutablePrefix+"env"))
			if _, err := h.Backend(context.Background(), "env"); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{}
			for _, l := range readReports(t, out) {
				if kv, ok := strings.CutPrefix(l, "env "); ok {
					k, v, _ := strings.Cut(kv, "=")
					env[k] = v
				}
			}
			for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "OPENAI_API_KEY", "IMAGEWORKS_REGISTRY_DIR"} {
				if v, ok := env[k]; ok {
					t.Errorf("plugin environment has %s=%q, want it withheld", k, v)
				}
			}
			for _, k := range []string{"PATH", "HOME", "LANG", envOut} {
				if _, ok := env[k]; !ok {
					t.Errorf("plugin environment lacks %s, want it passed", k)
				}
			}
			if _, ok := env["PLUGIN_CLIENT_CERT"]; ok != (mtls == "1") {
				t.Errorf("plugin got PLUGIN_CLIENT_CERT = %v with %s=%q, want AutoMTLS only when asked", ok, EnvMTLS, mtls)
			}
			sock := env["PLUGIN_UNIX_SOCKET_DIR"]
			if sock == "" || !strings.HasPrefix(sock, h.socketDir+string(filepath.Separator)) {
				t.Fatalf("PLUGIN_UNIX_SOCKET_DIR = %q, want a folder in the host's %q", sock, h.socketDir)
			}
			fi, err := os.Stat(h.socketDir)
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("socket folder %s mode = %v (%v), want 0700", h.socketDir, fi.Mode().Perm(), err)
			}
			if err := h.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(h.socketDir); !os.IsNotExist(err) {
				t.Errorf("socket folder %s after Close: %v, want it removed", h.socketDir, err)
			}
		})
	}
}

// A host logging at debug level has plugins log at debug level too, unless
// the user set their level.
func TestPluginLogLevel(t *testing.T) {
	tests := []struct {
		level   hclog.Level
		userSet string
		wantEnv string // "" = unset
	}{
		{hclog.Off, "", ""},
		{hclog.Info, "", ""},
		{hclog.Debug, "", "debug"},
		{hclog.Trace, "", "trace"},
		{hclog.Debug, "warn", "warn"},
	}
	for _, tt := range tests {
		t.Run(tt.level.String()+"/"+tt.userSet, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			env := testEnv{envOut: out}
			if tt.userSet != "" {
				env[host.LogLevelEnv] = tt.userSet
			}
			h := newTestHost(t, env, installPlugins(t, ExecutablePrefix+"env"))
			h.logger = hclog.New(&hclog.LoggerOptions{Level: tt.level, Output: io.Discard})
			if _, err := h.Backend(context.Background(), "env"); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, l := range readReports(t, out) {
				if v, ok := strings.CutPrefix(l, "env "+host.LogLevelEnv+"="); ok {
					got = v
				}
			}
			if got != tt.wantEnv {
				t.Errorf("plugin %s = %q with a host logging at %v, want %q", host.LogLevelEnv, got, tt.level, tt.wantEnv)
			}
		})
	}
}

func TestCloseKillsProcessGroup(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	h := newTestHost(t, testEnv{envOut: out}, installPlugins(t, ExecutablePrefix+"parent"))
	if _, err := h.Backend(context.Background(), "parent"); err != nil {
		t.Fatal(err)
	}
	pids := reportedPids(t, out)
	for _, p := range pids {
		if !alive(p) {
			t.Fatalf("process %d not running before Close", p)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pids...)
	if _, err := h.Backend(context.Background(), "parent"); !errors.Is(err, ErrHostClosed) {
		t.Errorf("Backend after Close error = %v, want ErrHostClosed", err)
	}
}

// A host process that gets SIGINT or SIGTERM leaves no plugin process
// behind, children included.
func TestSignalKillsPlugins(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			dir := installPlugins(t, ExecutablePrefix+"parent")
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), envHostDir+"="+dir, envOut+"="+out)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if line != "ready\n" {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("host said %q, %v; stderr %q", line, err, stderr.String())
			}
			pids := reportedPids(t, out)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if err := cmd.Wait(); err != nil {
				t.Errorf("host exited with %v after %v, want 0; stderr %q", err, sig, stderr.String())
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("host took %v to exit after %v", d, sig)
			}
			waitGone(t, pids...)
		})
	}
}

func TestCallFailures(t *testing.T) {
	tests := []struct {
		mode       string
		want       error
		wantStderr string
	}{
		{mode: "slow", want: ErrPluginTimeout},
		{mode: "die", want: ErrPluginCrashed, wantStderr: "about to die\nfatal error: dying on purpose"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			h := newTestHost(t, testEnv{envOut: out}, installPlugins(t, ExecutablePrefix+tt.mode))
			h.callTimeout = 500 * time.Millisecond
			b, err := h.Backend(context.Background(), tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = b.Resolve(context.Background(), sdk.ResolveRequest{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Resolve() error = %v, want %v", err, tt.want)
			}
			var pe *PluginError
			if !errors.As(err, &pe) || pe.Plugin != tt.mode {
				t.Fatalf("Resolve() error = %#v, want a *PluginError naming %s", err, tt.mode)
			}
			if tt.wantStderr != "" && !strings.Contains(strings.Join(pe.Stderr, "\n"), tt.wantStderr) {
				t.Errorf("Resolve() stderr = %q, want %q", pe.Stderr, tt.wantStderr)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Resolve() took %v, want under 3s", d)
			}
			pid := 0
			for _, l := range readReports(t, out) {
				if rest, ok := strings.CutPrefix(l, "start "); ok {
					pid = atoi(t, rest)
				}
			}
			waitGone(t, pid)
			// Calls through the dead plugin fail at once; Backend starts a
			// new one.
			if _, err := b.Info(context.Background()); !errors.Is(err, ErrPluginCrashed) {
				t.Errorf("Info() on the dead plugin error = %v, want ErrPluginCrashed", err)
			}
			b2, err := h.Backend(context.Background(), tt.mode)
			if err != nil {
				t.Fatalf("Backend() after the failure error = %v", err)
			}
			if _, err := b2.Info(context.Background()); err != nil {
				t.Errorf("Info() on the restarted plugin error = %v", err)
			}
		})
	}
}

// ProbeVision's deadline follows the request's own Timeout when that is
// longer than the call timeout; the optional calls pass the plugin's own
// errors through.
func TestProbeDeadlineAndOptionalCalls(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, nil, installPlugins(t, ExecutablePrefix+"prober"))
	h.callTimeout = 300 * time.Millisecond
	backend, err := h.Backend(context.Background(), "prober")
	if err != nil {
		t.Fatal(err)
	}
	b := backend.(host.Remote)
	res, err := b.ProbeVision(context.Background(), sdk.ProbeRequest{ModelID: "m", Timeout: time.Second})
	if err != nil || !res.VisionOK || res.Model != "m" {
		t.Errorf("ProbeVision(Timeout 1s) with a 300ms call timeout = %+v, %v; want VisionOK from m", res, err)
	}
	ctx := context.Background()
	if _, err := b.ListModels(ctx, sdk.ListModelsRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("ListModels() error = %v, want sdk.ErrNotImplemented", err)
	}
	if _, err := b.Artifacts(ctx, sdk.ArtifactsRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("Artifacts() error = %v, want sdk.ErrNotImplemented", err)
	}
	if _, err := b.Health(ctx, sdk.HealthRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("Health() error = %v, want sdk.ErrNotImplemented", err)
	}
}

func TestCallerCancelKeepsPlugin(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, nil, installPlugins(t, ExecutablePrefix+"slow"))
	b, err := h.Backend(context.Background(), "slow")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = b.Resolve(ctx, sdk.ResolveRequest{})
	var pe *PluginError
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &pe) {
		t.Errorf("Resolve(caller deadline) error = %v, want the caller's context.DeadlineExceeded, not a *PluginError", err)
	}
	if _, err := b.Info(context.Background()); err != nil {
		t.Errorf("Info() after a cancelled call error = %v, want the plugin still running", err)
	}
}

func TestReattach(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	line, done, err := sdk.ServeDebug(ctx, &fakeBackend{name: "debugged"})
	if err != nil {
		t.Fatal(err)
	}
	// No binary installed at all: the host attaches instead.
	h := newTestHost(t, testEnv{EnvReattach: line})
	b, err := h.Backend(context.Background(), "debugged")
	if err != nil {
		t.Fatalf("Backend(debugged) error = %v", err)
	}
	if res, err := b.Resolve(context.Background(), sdk.ResolveRequest{}); err != nil || res.Endpoint != "http://localhost:8000/v1" {
		t.Errorf("Resolve() = %+v, %v", res, err)
	}
	list, err := h.List(context.Background())
	if err != nil || len(list) != 1 || !list[0].Attached || list[0].Version != "1.2.3" {
		t.Errorf("List() = %+v, %v; want the attached plugin", list, err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
		t.Errorf("Close stopped the attached plugin, want it left running")
	case <-time.After(200 * time.Millisecond):
	}

	bad := New(Options{Getenv: testEnv{EnvReattach: "{not json"}.getenv})
	if _, err := bad.Backend(context.Background(), "debugged"); err == nil || !strings.Contains(err.Error(), EnvReattach) {
		t.Errorf("Backend() with a bad %s error = %v, want one naming it", EnvReattach, err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	first := installPlugins(t, ExecutablePrefix+"good", ExecutablePrefix+"crash")
	second := installPlugins(t, ExecutablePrefix+"good")
	h := newTestHost(t, nil, first, second)
	list, err := h.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ name, path, version, problem string }
	var got []row
	for _, p := range list {
		if p.SHA256 == "" || len(p.SHA256) != 64 {
			t.Errorf("List() %s sha256 = %q, want 64 hex digits", p.Name, p.SHA256)
		}
		got = append(got, row{p.Name, p.Path, p.Version, firstWords(p.Problem, 2)})
	}
	want := []row{
		{"crash", filepath.Join(first, ExecutablePrefix+"crash"), "", "plugin crashed:"},
		{"good", filepath.Join(first, ExecutablePrefix+"good"), "1.2.3", ""},
		{"good", filepath.Join(second, ExecutablePrefix+"good"), "", "shadowed by"},
	}
	if len(got) != len(want) {
		t.Fatalf("List() = %+v, want %+v", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("List()[%d] = %+v, want %+v", k, got[k], want[k])
		}
	}
}

// With no plugin installed, List gives an empty list, which the CLI prints
// as [], not null.
func TestListEmpty(t *testing.T) {
	t.Parallel()
	h := newTestHost(t, nil, t.TempDir())
	list, err := h.List(context.Background())
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("List() = %#v, %v; want an empty, non-nil slice", list, err)
	}
	if data, err := json.Marshal(list); err != nil || string(data) != "[]" {
		t.Errorf("json.Marshal(List()) = %s, %v; want []", data, err)
	}
}

// After Close, List still lists what is installed; the plugin it would
// start gets a Problem instead of an error.
func TestListAfterClose(t *testing.T) {
	t.Parallel()
	dir := installPlugins(t, ExecutablePrefix+"good")
	h := newTestHost(t, nil, dir)
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	list, err := h.List(context.Background())
	if err != nil {
		t.Fatalf("List() after Close error = %v, want nil", err)
	}
	if len(list) != 1 || list[0].Name != "good" || list[0].Version != "" || !strings.Contains(list[0].Problem, ErrHostClosed.Error()) {
		t.Errorf("List() after Close = %+v, want plugin good with a Problem saying %q", list, ErrHostClosed)
	}
	if len(list) == 1 && (list[0].Protocols == nil || len(list[0].SHA256) != 64) {
		t.Errorf("List() after Close = %+v, want protocols [] and the binary's SHA-256", list[0])
	}
}

func TestBadStartTimeoutEnv(t *testing.T) {
	t.Parallel()
	h := New(Options{Getenv: testEnv{EnvStartTimeout: "soon"}.getenv, ExecutableDir: t.TempDir()})
	defer h.Close()
	if _, err := h.Backend(context.Background(), "good"); err == nil || !strings.Contains(err.Error(), EnvStartTimeout) {
		t.Errorf("Backend() with %s=soon error = %v, want one naming the variable", EnvStartTimeout, err)
	}
	if _, err := h.List(context.Background()); err == nil {
		t.Errorf("List() with %s=soon error = nil, want an error", EnvStartTimeout)
	}
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	var n int
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Executables that are not plugins at all fail the same typed way.
func TestStartNonPlugins(t *testing.T) {
	tests := []struct {
		name       string
		content    string
		want       error
		wantInMsg  string
		wantStderr string
		wantCause  error // also matched with errors.Is, if set
	}{
		{name: "quits", content: "#!/bin/sh\necho 'no config' >&2\nexit 0\n", want: ErrPluginCrashed, wantInMsg: "exit status 0", wantStderr: "no config"},
		{name: "garbage", content: "\x7fELF not really", want: ErrPluginCrashed, wantInMsg: "cannot run", wantCause: syscall.ENOEXEC},
		{name: "old-core", content: "#!/bin/sh\necho '2|1|unix|/nonexistent|grpc'\nsleep 30\n", want: ErrHandshake, wantInMsg: "incompatible core API version"},
		{name: "wrong-proto", content: "#!/bin/sh\necho '1|7|unix|/nonexistent|grpc'\nsleep 30\n", want: ErrHandshake, wantInMsg: "it speaks protocol 7, this host speaks 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := safefile.WriteExecutable(filepath.Join(dir, ExecutablePrefix+tt.name), strings.NewReader(tt.content), 0o755); err != nil {
				t.Fatal(err)
			}
			h := newTestHost(t, nil, dir)
			start := time.Now()
			_, err := h.Backend(context.Background(), tt.name)
			var pe *PluginError
			if !errors.Is(err, tt.want) || !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Fatalf("Backend(%q) error = %v, want a *PluginError matching %v containing %q", tt.name, err, tt.want, tt.wantInMsg)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("Backend(%q) error = %v, want it to wrap %v", tt.name, err, tt.wantCause)
			}
			if tt.wantStderr != "" && !strings.Contains(strings.Join(pe.Stderr, "\n"), tt.wantStderr) {
				t.Errorf("Backend(%q) stderr = %q, want %q", tt.name, pe.Stderr, tt.wantStderr)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Backend(%q) took %v", tt.name, d)
			}
		})
	}
}

// A failed attach keeps its cause matchable, so that a cancelled attach is
// not remembered as the plugin's failure.
func TestReattachKeepsCause(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	line, _, err := sdk.ServeDebug(ctx, &fakeBackend{name: "debugged"})
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHost(t, testEnv{EnvReattach: line})
	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if _, err := h.Backend(cancelled, "debugged"); !errors.Is(err, context.Canceled) {
		t.Errorf("Backend(cancelled ctx, debugged) error = %v, want context.Canceled", err)
	}
	if _, err := h.Backend(context.Background(), "debugged"); err != nil {
		t.Errorf("Backend(debugged) after a cancelled attach error = %v, want the plugin", err)
	}

	// Gone: the plugin's process no longer exists.
	gone := reattachLine("gone", 2147483646, filepath.Join(t.TempDir(), "gone.sock"))
	h = newTestHost(t, testEnv{EnvReattach: gone})
	_, err = h.Backend(context.Background(), "gone")
	if !errors.Is(err, ErrPluginCrashed) || !errors.Is(err, plugin.ErrProcessNotFound) {
		t.Errorf("Backend(gone) error = %v, want ErrPluginCrashed wrapping plugin.ErrProcessNotFound", err)
	}

	// Deaf: something listens but hangs up on every connection.
	sock := filepath.Join(t.TempDir(), "deaf.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	h = newTestHost(t, testEnv{EnvReattach: reattachLine("deaf", os.Getpid(), sock)})
	_, err = h.Backend(context.Background(), "deaf")
	if !errors.Is(err, ErrPluginCrashed) || !errors.Is(err, host.ErrTransport) {
		t.Errorf("Backend(deaf) error = %v, want ErrPluginCrashed wrapping host.ErrTransport", err)
	}
}

// reattachLine is an IMAGEWORKS_REATTACH_BACKENDS value attaching name to
// the process pid serving on the Unix socket sock.
func reattachLine(name string, pid int, sock string) string {
	return `{"` + name + `": {"Protocol": "grpc", "ProtocolVersion": 1, "Pid": ` + strconv.Itoa(pid) +
		`, "Addr": {"Network": "unix", "String": "` + sock + `"}}}`
}

// TestStartTimeoutIsRemembered: a start that failed on the start timeout
// (while the caller's context was still live) is remembered: the next call
// fails at once instead of launching the hanging plugin again.
func TestStartTimeoutIsRemembered(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	h := newTestHost(t, testEnv{envOut: out}, installPlugins(t, ExecutablePrefix+"hang"))
	h.startTimeout = 300 * time.Millisecond
	if _, err := h.Backend(context.Background(), "hang"); !errors.Is(err, ErrPluginTimeout) {
		t.Fatalf("Backend(hang) error = %v, want ErrPluginTimeout", err)
	}
	launched := len(readReports(t, out))
	start := time.Now()
	_, err := h.Backend(context.Background(), "hang")
	if !errors.Is(err, ErrPluginTimeout) || time.Since(start) > 200*time.Millisecond {
		t.Errorf("Backend(hang) again = %v after %v, want the remembered ErrPluginTimeout at once", err, time.Since(start))
	}
	if got := len(readReports(t, out)); got != launched {
		t.Errorf("the second call launched the plugin again (%d reports, want %d)", got, launched)
	}
}
