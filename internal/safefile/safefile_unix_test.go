//go:build unix

package safefile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	safefiletest.MkFIFO(t, fifo)
	for _, tc := range []struct{ path, kind string }{
		{fifo, "FIFO"},
		{dir, "directory"},
		{"/dev/null", "character device"},
	} {
		err := safefiletest.Within(t, func() error { _, _, err := Open(tc.path); return err })
		var nre *NotRegularError
		if !errors.As(err, &nre) || !errors.Is(err, ErrNotRegular) {
			t.Fatalf("Open(%s) = %v, want a *NotRegularError", tc.path, err)
		}
		if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.kind) {
			t.Errorf("Open(%s) = %q, want the path and %q in it", tc.path, err, tc.kind)
		}
		err = safefiletest.Within(t, func() error { _, _, err := ReadFile(tc.path); return err })
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("ReadFile(%s) = %v, want ErrNotRegular", tc.path, err)
		}
	}
}

func TestOpenReadsRegularFilesAndLinks(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, link} {
		data, fi, err := ReadFile(p)
		if err != nil || string(data) != "hello" || fi.Size() != 5 {
			t.Errorf("ReadFile(%s) = %q, %v, want hello", p, data, err)
		}
	}
	if _, _, err := Open(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestDanglingLinkIsNotMissing(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink("nowhere", link); err != nil {
		t.Fatal(err)
	}
	_, _, oerr := Open(link)
	_, serr := Stat(link)
	for _, err := range []error{oerr, serr} {
		if !errors.Is(err, ErrDanglingLink) || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("got %v, want ErrDanglingLink and not fs.ErrNotExist", err)
		}
		if err != nil && (!strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "nowhere")) {
			t.Errorf("error %q does not name the link and its target", err)
		}
	}
}

func TestWriteAtomicRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(link, []byte("new"), 0o644)
	if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), link) {
		t.Fatalf("WriteFile(link) = %v, want ErrSymlink naming the link", err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode().Type() != fs.ModeSymlink {
		t.Errorf("the link was replaced (%v, %v)", fi, err)
	}
	if data, _ := os.ReadFile(target); string(data) != "old" {
		t.Errorf("the target holds %q, want old", data)
	}
	if m, _ := filepath.Glob(TempPattern(link)); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestWriteAtomicKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("a"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite = %v, want 0600", fi.Mode().Perm())
	}
}

func TestWriteNewNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "backup")
	if err := WriteNew(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(p, []byte("two"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew = %v, want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(p); string(data) != "one" {
		t.Errorf("file holds %q, want one", data)
	}
	link := filepath.Join(dir, "dangling")
	if err := os.Symlink("nowhere", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteNew(link, []byte("x"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew over a dangling link = %v, want fs.ErrExist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteNew created the link's target")
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestTryLockRefusesLinksAndSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	toNothing := filepath.Join(dir, "to-nothing")
	if err := os.Symlink(filepath.Join(dir, "created"), toNothing); err != nil {
		t.Fatal(err)
	}
	toFile := filepath.Join(dir, "to-file")
	if err := os.Symlink(existing, toFile); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	safefiletest.MkFIFO(t, fifo)
	for _, tc := range []struct {
		path string
		want error
	}{{toNothing, ErrSymlink}, {toFile, ErrSymlink}, {fifo, ErrNotRegular}, {dir, ErrNotRegular}} {
		err := safefiletest.Within(t, func() error { _, _, err := TryLock(tc.path); return err })
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) {
			t.Errorf("TryLock(%s) = %v, want %v naming it", tc.path, err, tc.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "created")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("TryLock created the link's target")
	}
	// The file the link points to is not locked either.
	l, ok, err := TryLock(existing)
	if err != nil || !ok {
		t.Fatalf("TryLock(existing) = %v, %v; want it free", ok, err)
	}
	l.Unlock()
}

func TestAcquireSaysItWaits(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	held, ok, err := TryLock(p)
	if err != nil || !ok {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	var told atomic.Int32
	got := make(chan error, 1)
	go func() {
		l, err := Acquire(context.Background(), p, 20*time.Millisecond, func() { told.Add(1) })
		if err == nil {
			l.Unlock()
		}
		got <- err
	}()
	for deadline := time.Now().Add(5 * time.Second); told.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Acquire never said it waits")
		}
	}
	held.Unlock()
	if err := <-got; err != nil {
		t.Fatalf("Acquire after release = %v", err)
	}
	if n := told.Load(); n != 1 {
		t.Errorf("waiting was called %d times, want once", n)
	}

	// Free at once: no notice.
	told.Store(0)
	l, err := Acquire(context.Background(), p, time.Nanosecond, func() { told.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	if told.Load() != 0 {
		t.Errorf("an uncontended Acquire said it waits")
	}

	held, _, _ = TryLock(p)
	defer held.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Acquire(ctx, p, 0, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire past its deadline = %v, want DeadlineExceeded", err)
	}
}

func TestVersionSeesRestoredModTime(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("aaaa"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	before := VersionOf(fi)
	// The change time has the kernel's coarse clock resolution (a few ms).
	time.Sleep(30 * time.Millisecond)
	if err := os.WriteFile(p, []byte("bbbb"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	fi2, _ := os.Stat(p)
	if fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("setup: size or mtime differ")
	}
	if after := VersionOf(fi2); after == before {
		t.Errorf("VersionOf after an edit that restored size and mtime = %+v, unchanged", after)
	}
	// Nothing changed since: a fresh stat of the file is the same version.
	if fi3, err := os.Stat(p); err != nil || VersionOf(fi3) != VersionOf(fi2) {
		t.Errorf("VersionOf of an unchanged file differs between two stats (%v)", err)
	}
}
