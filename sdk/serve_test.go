package sdk_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// pluginEnv, when set in a test binary's environment, makes the binary a
// plugin serving testBackend, so that the tests start real plugin
// processes without building anything.
const pluginEnv = "SDK_TEST_BE_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) == "1" {
		os.Exit(sdk.Serve(testBackend{}))
	}
	os.Exit(m.Run())
}

// testBackend is a small backend for the process tests.
type testBackend struct{ sdk.Unimplemented }

func (testBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "testbe", Version: "0.1.0", DefaultPort: 1234}, nil
}

func (testBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	if req.Entry.Name == "" {
		return sdk.Resolution{}, fmt.Errorf("entry has no name: %w", sdk.ErrBadRequest)
	}
	return sdk.Resolution{Endpoint: "http://localhost:1234/v1", InternalModelID: req.Entry.Name}, nil
}

func pluginCmd(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), pluginEnv+"=1")
	return cmd
}

func newClient(t *testing.T, cfg *plugin.ClientConfig) host.Remote {
	t.Helper()
	cfg.HandshakeConfig = host.Handshake()
	cfg.VersionedPlugins = host.PluginSets()
	if cfg.Reattach != nil {
		// go-plugin ignores VersionedPlugins when reattaching.
		cfg.Plugins = host.PluginSets()[cfg.Reattach.ProtocolVersion]
	}
	cfg.AllowedProtocols = []plugin.Protocol{plugin.ProtocolGRPC}
	cfg.Logger = hclog.NewNullLogger()
	c := plugin.NewClient(cfg)
	t.Cleanup(c.Kill)
	rpc, err := c.Client()
	if err != nil {
		t.Fatalf("plugin client: %v", err)
	}
	b, err := host.DispenseRemote(rpc)
	if err != nil {
		t.Fatalf("host.DispenseRemote() error = %v", err)
	}
	return b
}

func TestServeProcess(t *testing.T) {
	for _, extraEnv := range []string{"", "IMAGEWORKS_PLUGIN_DEBUG=1"} {
		t.Run(extraEnv, func(t *testing.T) {
			cmd := pluginCmd()
			if extraEnv != "" {
				// A host passes IMAGEWORKS_PLUGIN_* on; the plugin must
				// still serve the host rather than start in debug mode.
				cmd.Env = append(cmd.Env, extraEnv)
			}
			testServeProcess(t, newClient(t, &plugin.ClientConfig{Cmd: cmd}))
		})
	}
}

func testServeProcess(t *testing.T, b host.Remote) {
	ctx := context.Background()
	info, err := b.Info(ctx)
	if err != nil || info.Name != "testbe" || info.Version != "0.1.0" {
		t.Errorf("Info() = %+v, %v, want testbe 0.1.0", info, err)
	}
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}})
	if err != nil || res.InternalModelID != "m" {
		t.Errorf("Resolve(m) = %+v, %v, want internal id m", res, err)
	}
	if _, err := b.Resolve(ctx, sdk.ResolveRequest{}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("Resolve(no name) error = %v, want one wrapping sdk.ErrBadRequest", err)
	}
	if _, err := b.Health(ctx, sdk.HealthRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("Health() error = %v, want one wrapping sdk.ErrNotImplemented", err)
	}
}

func TestServeDebugProcess(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
	}{
		{"flag", []string{"--debug"}, ""},
		{"env", nil, "IMAGEWORKS_PLUGIN_DEBUG=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := pluginCmd(tc.args...)
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			t.Cleanup(func() {
				_ = cmd.Process.Kill()
			})
			lines := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(stdout).ReadString('\n')
				lines <- line
				_, _ = io.Copy(io.Discard, stdout)
				exited <- cmd.Wait()
			}()
			var line string
			select {
			case line = <-lines:
			case <-time.After(20 * time.Second):
				t.Fatalf("no reattach line; stderr: %s", stderr.String())
			}
			prefix := host.ReattachEnv + "='"
			if !strings.HasPrefix(line, prefix) || !strings.HasSuffix(line, "'\n") {
				t.Fatalf("debug mode printed %q, want %s'{...}'", line, host.ReattachEnv)
			}
			value := strings.TrimSuffix(strings.TrimPrefix(line, prefix), "'\n")
			configs, err := host.ParseReattach(value)
			if err != nil {
				t.Fatalf("host.ParseReattach(%q) error = %v", value, err)
			}
			rc := configs["testbe"]
			if len(configs) != 1 || rc == nil {
				t.Fatalf("host.ParseReattach(%q) = %v, want one config for testbe", value, configs)
			}
			b := newClient(t, &plugin.ClientConfig{Reattach: rc})
			if info, err := b.Info(context.Background()); err != nil || info.Name != "testbe" {
				t.Errorf("Info() through reattach = %+v, %v, want testbe", info, err)
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("debug plugin exited with %v after SIGINT, want exit 0; stderr: %s", err, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Error("debug plugin still running 10s after SIGINT")
			}
		})
	}
}

func TestServeByHand(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "no cookie", wantCode: 1, wantStderr: "imageworks-backend-testbe: this program is a backend plugin for imageworks-loader"},
		{name: "wrong cookie", env: map[string]string{"IMAGEWORKS_PLUGIN_MAGIC_COOKIE": "x"}, wantCode: 1, wantStderr: "--debug"},
		{name: "version", args: []string{"--version"}, wantCode: 0, wantStdout: "testbe 0.1.0 (protocols 1)\n"},
		{name: "bad flag", args: []string{"--nope"}, wantCode: 2, wantStderr: "-nope"},
		{name: "stray argument", args: []string{"serve"}, wantCode: 2, wantStderr: `unexpected argument "serve"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := sdk.ServeWith(testBackend{}, tc.args, getenv, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("Serve(%q) = %d, want %d; stderr: %s", tc.args, code, tc.wantCode, stderr.String())
			}
			if tc.wantStdout != "" && stdout.String() != tc.wantStdout {
				t.Errorf("Serve(%q) stdout = %q, want %q", tc.args, stdout.String(), tc.wantStdout)
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("Serve(%q) stderr = %q, want it to contain %q", tc.args, stderr.String(), tc.wantStderr)
			}
		})
	}
}

func TestServeDebugInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	line, done, err := sdk.ServeDebug(ctx, testBackend{})
	if err != nil {
		t.Fatalf("ServeDebug() error = %v", err)
	}
	configs, err := host.ParseReattach(line)
	if err != nil {
		t.Fatalf("host.ParseReattach(%q) error = %v", line, err)
	}
	b := newClient(t, &plugin.ClientConfig{Reattach: configs["testbe"]})
	if _, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}}); err != nil {
		t.Errorf("Resolve() through ServeDebug error = %v", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("ServeDebug still serving 10s after its context was cancelled")
	}
}

// panicky panics in Resolve.
type panicky struct{ testBackend }

func (panicky) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	panic("panicky: boom")
}

// watchLog is a Watch's Log that also notes, at each call's end, whether
// the record of a recovered panic had been written by then.
type watchLog struct {
	mu             sync.Mutex
	buf            bytes.Buffer
	begun          int
	endsWithRecord []bool
}

func (w *watchLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *watchLog) begin() func() {
	w.mu.Lock()
	w.begun++
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.endsWithRecord = append(w.endsWithRecord, strings.Contains(w.buf.String(), `"@message":"backend panicked"`))
	}
}

// TestServeDebugWatched: a wire.Watch in ServeDebug's context gets the
// plugin's log lines, with the record of a recovered panic even when
// logging is off, and hears of each call's start and of its end, after
// what the call logged was written.
func TestServeDebugWatched(t *testing.T) {
	t.Setenv("IMAGEWORKS_PLUGIN_LOG_LEVEL", "off")
	w := &watchLog{}
	ctx, cancel := context.WithCancel(wire.WithWatch(context.Background(), &wire.Watch{Log: w, Begin: w.begin}))
	defer cancel()
	line, _, err := sdk.ServeDebug(ctx, panicky{})
	if err != nil {
		t.Fatalf("ServeDebug() error = %v", err)
	}
	configs, err := host.ParseReattach(line)
	if err != nil {
		t.Fatal(err)
	}
	b := newClient(t, &plugin.ClientConfig{Reattach: configs["testbe"]})
	if _, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}}); !errors.Is(err, host.ErrPanicked) {
		t.Fatalf("Resolve() error = %v, want one wrapping host.ErrPanicked", err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if log := w.buf.String(); !strings.Contains(log, `"@message":"backend panicked"`) || !strings.Contains(log, `"call":"Resolve"`) {
		t.Errorf("Watch.Log got %q, want the record of Resolve's panic", log)
	}
	if w.begun == 0 || len(w.endsWithRecord) != w.begun || !w.endsWithRecord[len(w.endsWithRecord)-1] {
		t.Errorf("Watch.Begin: %d calls begun, ends seeing the record %v, want every call ended, the last after its record", w.begun, w.endsWithRecord)
	}
}

type nameless struct{ testBackend }

func (nameless) Info(context.Context) (sdk.Info, error) { return sdk.Info{}, nil }

func TestServeDebugNoName(t *testing.T) {
	if _, _, err := sdk.ServeDebug(context.Background(), nameless{}); err == nil {
		t.Error("ServeDebug(backend with no name) error = nil, want one")
	}
}

// imageBackend answers ProbeVision with the size of the image it got.
type imageBackend struct{ testBackend }

func (imageBackend) ProbeVision(_ context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return sdk.ProbeResult{LatencyMS: int64(len(req.Image))}, nil
}

func TestServeLargeImage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	line, _, err := sdk.ServeDebug(ctx, imageBackend{})
	if err != nil {
		t.Fatalf("ServeDebug() error = %v", err)
	}
	configs, err := host.ParseReattach(line)
	if err != nil {
		t.Fatal(err)
	}
	b := newClient(t, &plugin.ClientConfig{Reattach: configs["testbe"]})
	// Above gRPC's default 4 MiB limit on what a server receives.
	const size = 12 << 20
	res, err := b.ProbeVision(ctx, sdk.ProbeRequest{Image: make([]byte, size), MIMEType: "image/png"})
	if err != nil || res.LatencyMS != size {
		t.Errorf("ProbeVision(%d-byte image) = %d, %v, want the plugin to get all %d bytes", size, res.LatencyMS, err, size)
	}
}
