package registry_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// helperRemove removes each named entry with its own save.
func helperRemove(dir string, names []string) int {
	ctx := context.Background()
	r, err := registry.Open(ctx, dir, registry.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, n := range names {
		if err := r.Remove(ctx, n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := r.Save(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// discoveredOnly returns n names of a scaled registry that only the
// discovered layer has.
func discoveredOnly(t *testing.T, dir string, n int) []string {
	t.Helper()
	if names := scaledNames(t, dir, 12*n); len(names) == 0 {
		t.Fatal("empty scaled registry")
	}
	var out []string
	for _, e := range mustOpen(t, dir, registry.Options{}).Entries(context.Background()) {
		if !e.InCurated() && len(out) < n {
			out = append(out, e.Name())
		}
	}
	if len(out) < n {
		t.Fatalf("only %d discovered-only entries, want %d", len(out), n)
	}
	return out
}

// A Remove saved after another writer's save keeps that writer's changes
// (an added entry, an edit of another entry) and removes only its entry;
// the snapshot follows.
func TestRemoveKeepsOtherWritersChanges(t *testing.T) {
	ctx := context.Background()
	dir := editDir(t)
	r1 := mustOpen(t, dir, registry.Options{})
	r2 := mustOpen(t, dir, registry.Options{})
	if err := r1.Remove(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := r2.Add(ctx, []byte(`{"name": "z", "backend": "vllm"}`)); err != nil {
		t.Fatal(err)
	}
	update(t, r2, "b", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") })
	if err := r2.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r1.Save(ctx); err != nil {
		t.Fatal(err)
	}
	r3 := mustOpen(t, dir, registry.Options{})
	if _, err := r3.Get(ctx, "a"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Get(a) after Remove = %v, want ErrNotFound", err)
	}
	if b, err := r3.Get(ctx, "b"); err != nil || !b.Deprecated() {
		t.Errorf("the other writer's edit of b was lost (%v)", err)
	}
	if _, err := r3.Get(ctx, "z"); err != nil {
		t.Errorf("the other writer's added entry was lost: %v", err)
	}
	snap := decodeByName(t, readFile(t, path(dir, registry.SnapshotFile)))
	if _, ok := snap["a"]; ok || snap["z"] == nil {
		t.Errorf("snapshot after Remove has a: %v, z: %v; want no a and z", ok, snap["z"] != nil)
	}
}

// A Remove of an entry another writer removed first fails the save with
// ErrNotFound; one the curated file defines by save time fails with a
// *CuratedEntryError naming the file. Nothing is written either way.
func TestRemoveWhenChangedMeanwhile(t *testing.T) {
	ctx := context.Background()
	t.Run("removed", func(t *testing.T) {
		dir := editDir(t)
		r1 := mustOpen(t, dir, registry.Options{})
		r2 := mustOpen(t, dir, registry.Options{})
		for _, r := range []*registry.Registry{r1, r2} {
			if err := r.Remove(ctx, "a"); err != nil {
				t.Fatal(err)
			}
		}
		if err := r2.Save(ctx); err != nil {
			t.Fatal(err)
		}
		before := readFile(t, path(dir, registry.DiscoveredFile))
		if err := r1.Save(ctx); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Save of a Remove of an entry removed meanwhile = %v, want ErrNotFound", err)
		}
		if got := readFile(t, path(dir, registry.DiscoveredFile)); string(got) != string(before) {
			t.Errorf("a failed save wrote the discovered layer")
		}
	})
	t.Run("curated", func(t *testing.T) {
		dir := editDir(t)
		r := mustOpen(t, dir, registry.Options{})
		if err := r.Remove(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path(dir, registry.CuratedFile), `[{"name": "a", "backend": "vllm"}]`)
		var cee *registry.CuratedEntryError
		err := r.Save(ctx)
		if !errors.As(err, &cee) || !errors.Is(err, registry.ErrCuratedField) || cee.Entry != "a" || cee.File != path(dir, registry.CuratedFile) {
			t.Fatalf("Save of a Remove of an entry curated meanwhile = %v, want a *CuratedEntryError naming the curated file", err)
		}
		if !strings.Contains(err.Error(), path(dir, registry.CuratedFile)) {
			t.Errorf("error %q does not name the curated file", err)
		}
		if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != editDiscovered {
			t.Errorf("a failed save wrote the discovered layer")
		}
	})
}

// Remove takes a unique alias, as Get does, and refuses a curated entry
// with the file to edit.
func TestRemoveByAliasAndCurated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "c", "backend": "vllm", "model_aliases": ["cc"]}]`)
	writeFile(t, path(dir, registry.DiscoveredFile), `[{"name": "d", "backend": "ollama", "model_aliases": ["dd"]}]`)
	r := mustOpen(t, dir, registry.Options{})
	for _, name := range []string{"c", "cc"} {
		var cee *registry.CuratedEntryError
		if err := r.Remove(ctx, name); !errors.As(err, &cee) || cee.Entry != "c" {
			t.Errorf("Remove(%q) = %v, want a *CuratedEntryError for c", name, err)
		}
	}
	if err := r.Remove(ctx, "dd"); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := mustOpen(t, dir, registry.Options{}).Get(ctx, "d"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Get(d) after Remove(dd) = %v, want ErrNotFound", err)
	}
}

// Two registries in one process, one removing entries and one locking
// others, each saving after every change: all removals and all locks are
// there afterwards.
func TestRemoveConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	names := discoveredOnly(t, dir, 30)
	gone, locked := names[:15], names[15:]
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	start := make(chan struct{})
	run := func(names []string, op func(r *registry.Registry, n string) error) {
		defer wg.Done()
		r, err := registry.Open(ctx, dir, registry.Options{})
		if err != nil {
			errs <- err
			return
		}
		<-start
		for _, n := range names {
			if err := op(r, n); err != nil {
				errs <- err
				return
			}
			if err := r.Save(ctx); err != nil {
				errs <- err
				return
			}
		}
	}
	wg.Add(2)
	go run(gone, func(r *registry.Registry, n string) error { return r.Remove(ctx, n) })
	go run(locked, func(r *registry.Registry, n string) error {
		return r.Update(ctx, n, func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") })
	})
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkRemovedAndLocked(t, dir, gone, locked)
}

// The same across processes: one removing, one locking, at once.
func TestRemoveConcurrentProcesses(t *testing.T) {
	dir := t.TempDir()
	names := discoveredOnly(t, dir, 30)
	gone, locked := names[:15], names[15:]
	var cmds []*exec.Cmd
	for _, h := range []struct {
		helper string
		names  []string
	}{{"remove", gone}, {"lock", locked}} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "REGISTRY_TEST_HELPER="+h.helper, "REGISTRY_TEST_DIR="+dir,
			"REGISTRY_TEST_NAMES="+strings.Join(h.names, ","))
		cmd.Stderr = os.Stderr
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper %v: %v", c.Env[len(c.Env)-3], err)
		}
	}
	checkRemovedAndLocked(t, dir, gone, locked)
}

func checkRemovedAndLocked(t *testing.T, dir string, gone, locked []string) {
	t.Helper()
	ctx := context.Background()
	r := mustOpen(t, dir, registry.Options{})
	for _, n := range gone {
		if _, err := r.Get(ctx, n); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("entry %q still there after the concurrent removals (%v)", n, err)
		}
	}
	checkAllLocked(t, dir, locked)
	snap := decodeByName(t, readFile(t, path(dir, registry.SnapshotFile)))
	for _, n := range gone {
		if _, ok := snap[n]; ok {
			t.Errorf("snapshot still has removed entry %q", n)
		}
	}
}
