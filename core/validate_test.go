package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// TestValidateChoosesFileOrDir checks that Validate reads the single file
// when RegistryFile is set (even beside a valid directory) and the layered
// directory otherwise.
func TestValidateChoosesFileOrDir(t *testing.T) {
	ctx := context.Background()
	dir := writeRegistry(t, `[{"name": "ok", "backend": "vllm"}]`, "")
	file := filepath.Join(t.TempDir(), "single.json")
	if err := os.WriteFile(file, []byte(`[{"name": "no-backend"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	probs, err := Validate(ctx, Options{RegistryDir: dir})
	if err != nil || len(probs) != 0 {
		t.Errorf("Validate(dir) = %v, %v, want no problems", probs, err)
	}
	probs, err = Validate(ctx, Options{RegistryDir: dir, RegistryFile: file})
	if err != nil || len(probs) != 1 || probs[0].Entry != "no-backend" {
		t.Errorf("Validate(file) = %v, %v, want the one problem of %s", probs, err, file)
	}
	_, err = Validate(ctx, Options{RegistryDir: t.TempDir()})
	if !errors.Is(err, registry.ErrNoRegistry) {
		t.Errorf("Validate(empty dir) = %v, want ErrNoRegistry", err)
	}
}

// TestValidateKnowsBackendsAndRoles: a backend is known when bundled, in
// process or installed on the plugin path; others are warnings with the
// close name; a caller's Source turns the backend check off; roles are
// checked against KnownRoles.
func TestValidateKnowsBackendsAndRoles(t *testing.T) {
	ctx := context.Background()
	dir := writeRegistry(t, `[
  {"name": "a", "backend": "vllm", "roles": ["caption", "vision_general"]},
  {"name": "b", "backend": "mine"},
  {"name": "c", "backend": "embedded"},
  {"name": "d", "backend": "mien", "roles": ["naration"]}
]`, "")
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, "imageworks-backend-mine"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string { return map[string]string{"HOME": dir}[k] }
	opts := Options{RegistryDir: dir, PluginDirs: []string{plugins}, Getenv: env, ExecutableDir: t.TempDir(), Backends: map[string]sdk.Backend{"embedded": nil}}
	probs, err := Validate(ctx, opts)
	var got []string
	for _, p := range probs {
		got = append(got, p.Entry+": "+p.Message)
	}
	want := []string{
		`d: backend "mien" is not bundled and no plugin imageworks-backend-mien is installed; did you mean "mine"?`,
		`d: role "naration" is no known role (fine if you mean a role of your own); did you mean "narration"?`,
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("Validate() = %q, %v, want %q", got, err, want)
	}
	opts.Source = InProcess{}
	if probs, err := Validate(ctx, opts); err != nil || len(probs) != 1 {
		t.Errorf("Validate() with a Source = %v, %v, want only the role warning", probs, err)
	}
}
