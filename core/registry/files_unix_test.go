//go:build unix

package registry_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

// A FIFO in place of any file the registry opens by name fails at once
// with an error naming it.
func TestFIFOInPlaceOfRegistryFiles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		legacy bool
		single bool
	}{
		{name: registry.CuratedFile},
		{name: registry.DiscoveredFile},
		{name: registry.FlockFile},
		{name: registry.SplitMarkerFile},
		{name: registry.SnapshotFile, legacy: true},
		{name: "single.json", single: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			switch {
			case tc.legacy:
			case tc.single:
			default:
				registrytest.CopyCorpus(t, dir)
			}
			fifo := filepath.Join(dir, tc.name)
			safefiletest.MkFIFO(t, fifo)
			if tc.name == registry.FlockFile {
				// Reading needs no lock; a save does.
				r := mustOpen(t, dir, registry.Options{})
				if err := r.Update(context.Background(), r.Entries(context.Background())[0].Name(), func(ed *registry.Edit) error {
					return ed.Set(true, "version_lock", "locked")
				}); err != nil {
					t.Fatal(err)
				}
				err := safefiletest.Within(t, func() error { return r.Save(context.Background()) })
				if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), fifo) {
					t.Fatalf("Save() with a FIFO lock file = %v, want ErrNotRegular naming it", err)
				}
				return
			}
			err := safefiletest.Within(t, func() error {
				var err error
				if tc.single {
					_, err = registry.OpenFile(context.Background(), fifo, registry.Options{})
				} else {
					_, err = registry.Open(context.Background(), dir, registry.Options{})
				}
				return err
			})
			if !errors.Is(err, safefile.ErrNotRegular) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "FIFO") {
				t.Fatalf("Open() with a FIFO %s = %v, want ErrNotRegular naming it", tc.name, err)
			}
			err = safefiletest.Within(t, func() error { _, err := registry.Validate(context.Background(), dir); return err })
			if !tc.single && err == nil {
				t.Errorf("Validate() with a FIFO %s = nil, want an error", tc.name)
			}
		})
	}
}

// A layer that is a dangling symbolic link is an error naming it, never an
// empty layer.
func TestDanglingLayerLinkIsAnError(t *testing.T) {
	dir := corpusDir(t)
	cur := path(dir, registry.CuratedFile)
	os.Remove(cur)
	if err := os.Symlink("/nonexistent/curated.json", cur); err != nil {
		t.Fatal(err)
	}
	_, err := registry.Open(context.Background(), dir, registry.Options{})
	if !errors.Is(err, safefile.ErrDanglingLink) || !strings.Contains(err.Error(), cur) {
		t.Fatalf("Open() with a dangling curated link = %v, want ErrDanglingLink naming it", err)
	}
}

// A symbolic link at .model_registry.lock is never followed: a read-only
// Open (that would refresh a stale snapshot) creates nothing at its target,
// and a save is refused with an error naming the link.
func TestSymlinkedLockFileIsNotFollowed(t *testing.T) {
	dir := corpusDir(t)
	target := filepath.Join(t.TempDir(), "elsewhere.lock")
	lock := path(dir, registry.FlockFile)
	if err := os.Symlink(target, lock); err != nil {
		t.Fatal(err)
	}
	log, buf := newLogger()
	r := mustOpen(t, dir, registry.Options{Logger: log}) // the snapshot is missing: stale
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Open() created the lock link's target (%v)", err)
	}
	if !strings.Contains(buf.String(), lock) {
		t.Errorf("log = %q, want a warning naming the lock link", buf.String())
	}
	name := r.Entries(context.Background())[0].Name()
	if err := r.Update(context.Background(), name, func(ed *registry.Edit) error {
		return ed.Set(true, "version_lock", "locked")
	}); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path(dir, registry.DiscoveredFile))
	err := r.Save(context.Background())
	if !errors.Is(err, safefile.ErrSymlink) || !strings.Contains(err.Error(), lock) {
		t.Fatalf("Save() with a symlinked lock file = %v, want ErrSymlink naming it", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save() created the lock link's target (%v)", err)
	}
	if string(readFile(t, path(dir, registry.DiscoveredFile))) != string(before) {
		t.Errorf("Save() wrote the discovered layer without the lock")
	}
}

// A save never writes through, nor replaces, a symbolic link at the
// discovered layer: it is refused naming the link, and both the link and
// its target are left as they were.
func TestSaveRefusesSymlinkedDiscoveredLayer(t *testing.T) {
	dir := corpusDir(t)
	other := t.TempDir()
	dis := path(dir, registry.DiscoveredFile)
	target := filepath.Join(other, "shared.json")
	if err := os.Rename(dis, target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, dis); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, target)
	r := mustOpen(t, dir, registry.Options{}) // reading follows the link
	name := r.Entries(context.Background())[0].Name()
	if err := r.Update(context.Background(), name, func(ed *registry.Edit) error {
		return ed.Set(true, "version_lock", "locked")
	}); err != nil {
		t.Fatal(err)
	}
	err := r.Save(context.Background())
	if !errors.Is(err, safefile.ErrSymlink) || !strings.Contains(err.Error(), dis) {
		t.Fatalf("Save() through a symlinked discovered layer = %v, want ErrSymlink naming it", err)
	}
	if fi, err := os.Lstat(dis); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("the link was replaced")
	}
	if string(readFile(t, target)) != string(before) {
		t.Errorf("the link's target was written")
	}
}

// A save that waits for another process's lock says so after
// Options.LockNotice, at a level the CLI shows by default.
func TestSaveLogsThatItWaits(t *testing.T) {
	dir := editDir(t)
	log, buf := newLogger()
	log.SetLevel(hclog.Warn)
	r := mustOpen(t, dir, registry.Options{Logger: log, LockNotice: 20 * time.Millisecond})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	holder := flock.New(path(dir, registry.FlockFile))
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Save(context.Background()) }()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(buf.String(), "waiting for the registry lock"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			holder.Unlock()
			t.Fatalf("log = %q, want a message that the save waits for the lock", buf.String())
		}
	}
	if !strings.Contains(buf.String(), registry.FlockFile) {
		t.Errorf("log = %q, want the lock file named", buf.String())
	}
	log.SetLevel(hclog.Info)
	holder.Unlock()
	if err := <-done; err != nil {
		t.Fatalf("Save() once the lock is free = %v", err)
	}
	if !strings.Contains(buf.String(), "got the registry lock") {
		t.Errorf("log = %q, want a message that the save got the lock it waited for", buf.String())
	}
	// An uncontended save says nothing, not even at info level.
	buf2 := &logBuffer{}
	r2 := mustOpen(t, dir, registry.Options{Logger: hclog.New(&hclog.LoggerOptions{Output: buf2, Level: hclog.Info}), LockNotice: time.Hour})
	if err := r2.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(false, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	if err := r2.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf2.String(), "waiting") || strings.Contains(buf2.String(), "registry lock") {
		t.Errorf("an uncontended save logged %q", buf2.String())
	}
}
