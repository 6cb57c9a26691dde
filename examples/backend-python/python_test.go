package backendpython_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/pluginhost"
	backendpython "github.com/imageworks-ai/loader/examples/backend-python"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// plugin is the installed plugin's path, shared by the tests; skip says
// why there is none.
var plugin, skip string

// TestMain installs the Python plugin once, in a folder removed at the end,
// unless no Python with grpc and grpc_tools is installed.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		py, err := backendpython.FindPython(ctx)
		if err != nil {
			skip = err.Error()
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "pyplugin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if plugin, err = backendpython.Install(ctx, py, backendpython.ProtoDir(), dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}())
}

// install returns the installed plugin, or skips the test.
func install(t *testing.T) string {
	t.Helper()
	if skip != "" {
		t.Skip("no Python 3 with grpcio and grpc_tools to run the example plugin (.ci/run installs python3-grpcio and python3-grpc-tools): " + skip)
	}
	return plugin
}

// TestConformanceBinary: the Python plugin, written from the protocol
// documentation, passes the kit through the real plugin host.
func TestConformanceBinary(t *testing.T) {
	plugintest.RunBinary(t, install(t))
}

// TestPlainErrorsAreErrors: the plugin's plain gRPC errors (no
// ErrorDetail) come back as the typed sdk errors their codes name, and the
// plugin keeps running.
func TestPlainErrorsAreErrors(t *testing.T) {
	path := install(t)
	dir := filepath.Dir(path)
	h := pluginhost.New(pluginhost.Options{Dirs: []string{dir}, ExecutableDir: dir})
	t.Cleanup(func() { _ = h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	backend, err := h.Backend(ctx, backendpython.Name)
	if err != nil {
		t.Fatal(err)
	}
	b := backend.(host.Remote) // every call, the optional ones included
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/v1"
	l.Close()

	_, err = b.ListModels(ctx, sdk.ListModelsRequest{Endpoint: closed})
	if !errors.Is(err, sdk.ErrUnavailable) || pluginhost.IsPluginFailure(err) || !strings.Contains(err.Error(), "pyopenai: list models at "+closed) {
		t.Errorf("ListModels(closed port) error = %v, want the plugin's UNAVAILABLE as sdk.ErrUnavailable, not a plugin failure", err)
	}
	_, err = b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", Config: sdk.BackendConfig{BaseURL: "ftp://files"}}})
	if !errors.Is(err, sdk.ErrBadRequest) || !strings.Contains(err.Error(), "is not an http(s) URL") {
		t.Errorf("Resolve(ftp base_url) error = %v, want the plugin's INVALID_ARGUMENT as sdk.ErrBadRequest", err)
	}
	_, err = b.ProbeVision(ctx, sdk.ProbeRequest{Endpoint: closed})
	if !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("ProbeVision() error = %v, want sdk.ErrNotImplemented", err)
	}
	// Still the same, running plugin.
	if info, err := b.Info(ctx); err != nil || info.Name != backendpython.Name || info.Description == "" {
		t.Errorf("Info() after the errors = %+v, %v, want the plugin still answering", info, err)
	}
}
