package registry_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

func mustInit(t *testing.T, dir string) registry.InitResult {
	t.Helper()
	res, err := registry.Init(context.Background(), dir, registry.Options{})
	if err != nil {
		t.Fatalf("Init(%s) = %v, want no error", dir, err)
	}
	return res
}

// fileState is what a test compares to see that nothing changed: bytes
// and modification time of every file in a folder.
func fileState(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fi.ModTime().String() + "\x00" + string(readFile(t, filepath.Join(dir, e.Name())))
	}
	return out
}

// Init in a folder that does not exist creates it, both layers as empty
// lists and the snapshot; a second Init writes nothing at all.
func TestInitCreatesAndIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "configs")
	res := mustInit(t, dir)
	want := []string{registry.CuratedFile, registry.DiscoveredFile, registry.SnapshotFile}
	if !res.CreatedDir || !slices.Equal(res.Created, want) || res.Dir != dir || res.SplitLegacy {
		t.Errorf("Init(new folder) = %+v, want the folder and %v created", res, want)
	}
	for _, f := range want {
		if got := string(readFile(t, path(dir, f))); got != "[]\n" {
			t.Errorf("%s after Init = %q, want %q", f, got, "[]\n")
		}
	}
	if n := len(mustOpen(t, dir, registry.Options{}).Entries(context.Background())); n != 0 {
		t.Errorf("entries after Init = %d, want 0", n)
	}
	before := fileState(t, dir)
	res = mustInit(t, dir)
	if res.CreatedDir || res.Created == nil || len(res.Created) != 0 {
		t.Errorf("second Init = %+v, want nothing created (an empty, non-nil list)", res)
	}
	if after := fileState(t, dir); !equalStates(before, after) {
		t.Errorf("second Init changed the folder:\nbefore %q\nafter  %q", before, after)
	}
}

func equalStates(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Init creates only the layer a folder lacks: an existing curated file is
// never rewritten, an existing discovered layer neither.
func TestInitKeepsExistingLayers(t *testing.T) {
	for _, have := range []string{registry.CuratedFile, registry.DiscoveredFile} {
		t.Run(have, func(t *testing.T) {
			dir := t.TempDir()
			const content = `[{"name": "kept",   "backend": "vllm"}]`
			writeFile(t, path(dir, have), content)
			res := mustInit(t, dir)
			other := registry.CuratedFile
			if have == other {
				other = registry.DiscoveredFile
			}
			if !slices.Equal(res.Created, []string{other, registry.SnapshotFile}) || res.CreatedDir {
				t.Errorf("Init = %+v, want only %s and the snapshot created", res, other)
			}
			if got := string(readFile(t, path(dir, have))); got != content {
				t.Errorf("%s after Init = %q, want it unchanged", have, got)
			}
			if _, err := mustOpen(t, dir, registry.Options{}).Get(context.Background(), "kept"); err != nil {
				t.Errorf("Get(kept) after Init = %v", err)
			}
		})
	}
}

// A folder holding only a legacy model_registry.json is split, as Open
// splits it; Init never shadows it with empty layers (which would lose
// every entry once the snapshot was regenerated).
func TestInitSplitsLegacy(t *testing.T) {
	dir := t.TempDir()
	registrytest.CopyLegacy(t, dir)
	want := len(mustOpen(t, dir, registry.Options{ReadOnly: true}).Entries(context.Background()))
	res := mustInit(t, dir)
	if !res.SplitLegacy || !slices.Equal(res.Created, []string{registry.CuratedFile, registry.DiscoveredFile, registry.BackupFile}) {
		t.Errorf("Init(legacy) = %+v, want a split creating both layers and the backup", res)
	}
	if got := len(mustOpen(t, dir, registry.Options{}).Entries(context.Background())); got != want || want == 0 {
		t.Errorf("entries after Init(legacy) = %d, want the legacy file's %d", got, want)
	}
}

// Init of a path that is a file, and a read-only Init, fail and create
// nothing.
func TestInitRefuses(t *testing.T) {
	dir := t.TempDir()
	file := path(dir, "f")
	writeFile(t, file, "x")
	if _, err := registry.Init(context.Background(), file, registry.Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte(file)) {
		t.Errorf("Init(a file) = %v, want an error naming it", err)
	}
	ro := path(dir, "ro")
	if _, err := registry.Init(context.Background(), ro, registry.Options{ReadOnly: true}); !errors.Is(err, registry.ErrReadOnly) {
		t.Errorf("Init(ReadOnly) = %v, want ErrReadOnly", err)
	}
	if _, err := os.Stat(ro); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only Init created %s (%v)", ro, err)
	}
}

// Inits racing with each other and with a writer that adds entries: every
// Init succeeds, and no Init overwrites a layer another one created or the
// writer saved into.
func TestInitConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "configs")
	ctx := context.Background()
	const inits, adds = 6, 10
	var wg sync.WaitGroup
	errs := make(chan error, inits+adds)
	start := make(chan struct{})
	for range inits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := registry.Init(ctx, dir, registry.Options{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if _, err := registry.Init(ctx, dir, registry.Options{}); err != nil {
			errs <- err
			return
		}
		r, err := registry.Open(ctx, dir, registry.Options{})
		if err != nil {
			errs <- err
			return
		}
		for i := range adds {
			if err := r.Add(ctx, []byte(`{"name": "m`+string(rune('a'+i))+`", "backend": "vllm"}`)); err != nil {
				errs <- err
				return
			}
			if err := r.Save(ctx); err != nil {
				errs <- err
				return
			}
		}
	}()
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	mustInit(t, dir)
	if n := len(mustOpen(t, dir, registry.Options{}).Entries(ctx)); n != adds {
		t.Errorf("entries after racing Inits and saves = %d, want %d", n, adds)
	}
	if got := string(readFile(t, path(dir, registry.CuratedFile))); got != "[]\n" {
		t.Errorf("curated after racing Inits = %q, want %q", got, "[]\n")
	}
}

// InitFile creates a single registry file, once.
func TestInitFile(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "sub", "one.json")
	res, err := registry.InitFile(ctx, file, registry.Options{})
	if err != nil || !res.CreatedDir || !slices.Equal(res.Created, []string{"one.json"}) {
		t.Fatalf("InitFile(new) = %+v, %v, want the folder and one.json created", res, err)
	}
	r, err := registry.OpenFile(ctx, file, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Add(ctx, []byte(`{"name": "m", "backend": "vllm"}`)); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, file)
	res, err = registry.InitFile(ctx, file, registry.Options{})
	if err != nil || res.CreatedDir || len(res.Created) != 0 {
		t.Errorf("InitFile(existing) = %+v, %v, want nothing created", res, err)
	}
	if got := readFile(t, file); !bytes.Equal(got, before) {
		t.Errorf("InitFile rewrote an existing file: %q, want %q", got, before)
	}
}
