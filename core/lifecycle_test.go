package core

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// listsLoading is a backend written against the old sdk: it embeds
// sdk.Unimplemented and lists ModelLoading among its calls, but has no
// ModelLoader methods.
type listsLoading struct{ sdk.Unimplemented }

func (listsLoading) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "lister", Version: "1", Protocols: []int{1}, Implements: []string{sdk.CallModelLoading}}, nil
}

func (listsLoading) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: "http://127.0.0.1:1/v1"}, nil
}

// TestLifecycleListedButMissing: a backend that lists a lifecycle call it
// has no method for has no lifecycle (ErrNoLifecycle), for Activate,
// Deactivate and Loaded alike, instead of a call on a nil interface.
func TestLifecycleListedButMissing(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "m", "backend": "lister"}]`, "")
	l := open(t, dir, map[string]sdk.Backend{"lister": listsLoading{}})
	ctx := context.Background()
	if _, err := l.Activate(ctx, "m", LifecycleOptions{}); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Activate() error = %v, want ErrNoLifecycle", err)
	}
	if _, err := l.Deactivate(ctx, "m", LifecycleOptions{}); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Deactivate() error = %v, want ErrNoLifecycle", err)
	}
	if _, err := l.Loaded(ctx, "lister"); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Loaded() error = %v, want ErrNoLifecycle", err)
	}
}

// TestModelPathAbsolute: every backend is given the model's local folder
// as an absolute path, resolved as verify resolves it (against the
// registry directory, ~ against $HOME), model_path before download_path;
// a scheme form, and an entry with neither, as written. The vLLM command
// carries it whatever the working directory.
func TestModelPathAbsolute(t *testing.T) {
	dir := writeRegistry(t, `[
  {"name": "rel", "backend": "vllm", "backend_config": {"model_path": "models/rel"}},
  {"name": "dotted", "backend": "vllm", "backend_config": {"model_path": "./a/../b"}},
  {"name": "abs", "backend": "vllm", "backend_config": {"model_path": "/srv/m"}},
  {"name": "home", "backend": "vllm", "backend_config": {"model_path": "~/m"}},
  {"name": "dl", "backend": "vllm", "download_path": "dl/x"},
  {"name": "both", "backend": "vllm", "backend_config": {"model_path": "mp"}, "download_path": "dl/x"},
  {"name": "scheme", "backend": "ollama", "backend_config": {"model_path": "ollama:/llava:7b"}, "download_path": "dl/y"},
  {"name": "none", "backend": "vllm"}
]`, "")
	l := open(t, dir, nil)
	ctx := context.Background()
	want := map[string]string{
		"rel":    filepath.Join(dir, "models", "rel"),
		"dotted": filepath.Join(dir, "b"),
		"abs":    "/srv/m",
		"home":   filepath.Join(dir, "m"), // open's HOME is dir
		"dl":     filepath.Join(dir, "dl", "x"),
		"both":   filepath.Join(dir, "mp"),
		"scheme": "ollama:/llava:7b",
		"none":   "",
	}
	for name, w := range want {
		e, err := l.reg.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.sdkEntry(e).Config.ModelPath; got != w {
			t.Errorf("%s: Config.ModelPath = %q, want %q", name, got, w)
		}
	}
	t.Chdir(t.TempDir())
	e, _ := l.reg.Get(ctx, "rel")
	cmd, err := vllm.New().ServerCommand(ctx, sdk.ServerCommandRequest{Entry: l.sdkEntry(e), Host: "127.0.0.1", Port: 1})
	if err != nil || len(cmd.Argv) < 3 || cmd.Argv[2] != want["rel"] {
		t.Errorf("vllm command = %q, %v, want %s served", cmd.Argv, err, want["rel"])
	}
}

// TestDefaultStateFile: the state file lives beside the registry
// directory (in the folder holding it), absolute, whatever the working
// directory; for a registry file, beside the file's folder.
func TestDefaultStateFile(t *testing.T) {
	root := t.TempDir()
	want := filepath.Join(root, "_staging", "active_vllm.json")
	for _, opts := range []Options{
		{RegistryDir: filepath.Join(root, "configs")},
		{RegistryFile: filepath.Join(root, "configs", "model_registry.json")},
	} {
		if got := DefaultStateFile(opts); got != want {
			t.Errorf("DefaultStateFile(%+v) = %q, want %q", opts, got, want)
		}
	}
	t.Chdir(root)
	if got := DefaultStateFile(Options{}); got != want {
		t.Errorf("DefaultStateFile(default ./configs) = %q, want %q", got, want)
	}
	if got := DefaultStateFile(Options{RegistryDir: "."}); got != filepath.Join(filepath.Dir(root), "_staging", "active_vllm.json") {
		t.Errorf("DefaultStateFile(.) = %q, want beside %s", got, root)
	}
}
