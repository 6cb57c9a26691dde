package core_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// exampleRegistry writes a one-file curated layer into a new folder.
func exampleRegistry(curated string) string {
	dir, err := os.MkdirTemp("", "core-example-")
	if err != nil {
		panic(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		panic(err)
	}
	return dir
}

// Resolve a model with an in-process backend: no plugin binary is needed.
func ExampleOpen() {
	dir := exampleRegistry(`[{"name": "qwen-vl", "backend": "vllm", "backend_config": {"port": 8001},
  "served_model_id": "Qwen/Qwen2.5-VL-7B-Instruct", "capabilities": {"vision": {"enabled": true}}}]`)
	defer os.RemoveAll(dir)

	ctx := context.Background()
	l, err := core.Open(ctx, core.Options{
		RegistryDir: dir,
		Backends:    map[string]sdk.Backend{"vllm": vllm.New()},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()

	sel, err := l.Select(ctx, "qwen-vl", core.SelectOptions{Require: []string{"vision"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.Endpoint, sel.InternalModelID)

	// A requirement the model does not meet is a typed error.
	_, err = l.Select(ctx, "qwen-vl", core.SelectOptions{Require: []string{"audio"}})
	var ce *core.CapabilityError
	fmt.Println(errors.As(err, &ce), ce.Missing)
	// Output:
	// http://localhost:8001/v1 Qwen/Qwen2.5-VL-7B-Instruct
	// true [audio]
}

// Pick the model for a role: vision is required for captions, and the
// highest role_priority wins.
func ExampleLoader_SelectRole() {
	dir := exampleRegistry(`[
  {"name": "small-vl", "backend": "vllm", "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 1}},
  {"name": "big-vl", "backend": "vllm", "backend_config": {"port": 8002}, "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 9}},
  {"name": "text-only", "backend": "vllm", "roles": ["caption"], "role_priority": {"caption": 99}}
]`)
	defer os.RemoveAll(dir)

	ctx := context.Background()
	l, err := core.Open(ctx, core.Options{RegistryDir: dir, Backends: map[string]sdk.Backend{"vllm": vllm.New()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	sel, err := l.SelectRole(ctx, "caption", core.SelectOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sel.LogicalName, sel.Endpoint)
	// Output: big-vl http://localhost:8002/v1
}

// Read entries: all of them, or one by name or alias. An entry never
// changes in place, so its pointer can key a cache: a change makes a new
// one.
func ExampleLoader_Entry() {
	dir := exampleRegistry(`[
  {"name": "qwen-vl", "backend": "vllm", "model_aliases": ["qwen"], "capabilities": {"vision": true}},
  {"name": "llama", "backend": "ollama"}
]`)
	defer os.RemoveAll(dir)

	ctx := context.Background()
	l, err := core.Open(ctx, core.Options{RegistryDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	for _, e := range l.Entries(ctx) {
		fmt.Println(e.Name(), e.Backend())
	}

	e, err := l.Entry(ctx, "qwen")
	fmt.Println(e.Name(), e.HasCapability("vision"), err)
	again, _ := l.Entry(ctx, "qwen-vl")
	fmt.Println(again == e)

	// Someone edits the file: the next call re-reads it.
	edited := `[{"name": "qwen-vl", "display_name": "Qwen VL", "backend": "vllm", "capabilities": {"vision": true}}]`
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(edited), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	now, _ := l.Entry(ctx, "qwen-vl")
	fmt.Println(now == e, now.DisplayName(), len(l.Entries(ctx)))

	_, err = l.Entry(ctx, "Qwen-VL")
	fmt.Println(errors.Is(err, registry.ErrNotFound), err)
	// Output:
	// llama ollama
	// qwen-vl vllm
	// qwen-vl true <nil>
	// true
	// false Qwen VL 1
	// true entry "Qwen-VL": entry not found; did you mean "qwen-vl"?
}
