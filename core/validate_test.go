package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
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
