package artifact

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

// TestCollectRefusesUnsafeManifestPaths: unsafe names are refused, named in
// the error, and nothing at all is opened (not even the folder).
func TestCollectRefusesUnsafeManifestPaths(t *testing.T) {
	base := t.TempDir()
	model := filepath.Join(base, "a", "b", "model")
	writeTree(t, model, map[string]string{"ok.bin": "ok"})
	writeTree(t, base, map[string]string{"secret.txt": "secret"})
	tests := []struct {
		path string
		want error
	}{
		{"../../secret.txt", ErrUnsafePath},
		{"sub/../../x", ErrUnsafePath},
		{`..\..\secret.txt`, ErrUnsafePath},
		{filepath.Join(base, "secret.txt"), ErrUnsafePath},
		{"/etc/passwd", ErrUnsafePath},
		{`C:\secret.txt`, ErrUnsafePath},
		{"./ok.bin", ErrUnsafePath},
		{"sub//ok.bin", ErrUnsafePath},
		{"sub/", ErrUnsafePath},
		{"", ErrUnsafePath},
		{"bad\nname", ErrInvalidPath},
		{"bad\xffname", ErrInvalidPath},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			rec := &recorder{next: OSOpener}
			src := Source{Listed: []string{"ok.bin", tt.path}, ModelPath: model}
			_, err := Collect(context.Background(), src, Options{Open: rec.open})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), quoteVerb(tt.path)) {
				t.Errorf("Collect(manifest [ok.bin %q]) error = %v, want %v naming the path", tt.path, err, tt.want)
			}
			if len(rec.roots) != 0 {
				t.Errorf("Collect(manifest [ok.bin %q]) opened %v, want nothing opened", tt.path, rec.roots)
			}
		})
	}
	for _, tt := range tests {
		if err := CheckPath(tt.path); !errors.Is(err, tt.want) {
			t.Errorf("CheckPath(%q) = %v, want %v", tt.path, err, tt.want)
		}
	}
	for _, ok := range []string{"a", "a/b.c", ".gitattributes", "chat_template.jinja:Zone.Identifier", "dir/..x", "a..b"} {
		if err := CheckPath(ok); err != nil {
			t.Errorf("CheckPath(%q) = %v, want nil", ok, err)
		}
	}
}

// TestCollectRefusesSymlinkEscape: a link leading out of the folder is
// refused by name and its target never opened, whether listed or walked,
// on disk or in memory.
func TestCollectRefusesSymlinkEscape(t *testing.T) {
	base := t.TempDir()
	model := filepath.Join(base, "model")
	writeTree(t, model, map[string]string{"ok.bin": "ok", "sub/x": "x"})
	writeTree(t, base, map[string]string{"secret.txt": "secret"})
	links := map[string]string{
		"model/leak.bin":      "../secret.txt",
		"model/sub/leak2.bin": "../../secret.txt",
		"model/abs.bin":       filepath.Join(base, "secret.txt"),
		"model/out":           "..",
	}
	mem := mapTree(map[string]string{"model/ok.bin": "ok", "model/sub/x": "x", "secret.txt": "secret"})
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
		mem[link] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
	}
	memOpener := func(string) (fs.FS, error) { return subLinks{mem, "model"}, nil }
	for _, tree := range []struct {
		name string
		open Opener
	}{{"on disk", OSOpener}, {"in memory", memOpener}} {
		for _, name := range []string{"leak.bin", "sub/leak2.bin", "abs.bin", "out/secret.txt"} {
			t.Run(tree.name+"/manifest "+name, func(t *testing.T) {
				rec := &recorder{next: tree.open}
				_, err := Collect(context.Background(), Source{Listed: []string{"ok.bin", name}, ModelPath: model}, Options{Open: rec.open})
				if !errors.Is(err, ErrUnsafePath) || !strings.Contains(err.Error(), `"`+name+`"`) {
					t.Errorf("Collect(manifest [ok.bin %s]) error = %v, want ErrUnsafePath naming %q", name, err, name)
				}
				if rec.wasOpened(name) || rec.wasOpened("ok.bin") {
					t.Errorf("Collect(manifest [ok.bin %s]) opened %v, want no file opened", name, rec.opened)
				}
			})
		}
		t.Run(tree.name+"/walk", func(t *testing.T) {
			rec := &recorder{next: tree.open}
			_, err := Collect(context.Background(), Source{ModelPath: model}, Options{Open: rec.open})
			if !errors.Is(err, ErrUnsafePath) || !strings.Contains(err.Error(), "abs.bin") {
				t.Errorf("Collect(walk with escaping links) error = %v, want ErrUnsafePath naming abs.bin", err)
			}
			for _, f := range rec.opened {
				if strings.Contains(f, "secret") || strings.Contains(f, "leak") {
					t.Errorf("Collect(walk with escaping links) opened %q", f)
				}
			}
		})
	}
}

// subLinks is the sub-tree dir of m, link-aware.
type subLinks struct {
	m   fstest.MapFS
	dir string
}

func (s subLinks) full(name string) string { return filepath.ToSlash(filepath.Join(s.dir, name)) }
func (s subLinks) Open(name string) (fs.File, error) {
	return s.m.Open(s.full(name))
}
func (s subLinks) Stat(name string) (fs.FileInfo, error)      { return s.m.Stat(s.full(name)) }
func (s subLinks) Lstat(name string) (fs.FileInfo, error)     { return s.m.Lstat(s.full(name)) }
func (s subLinks) ReadLink(name string) (string, error)       { return s.m.ReadLink(s.full(name)) }
func (s subLinks) ReadDir(name string) ([]fs.DirEntry, error) { return s.m.ReadDir(s.full(name)) }

// TestCollectNeverOpensSpecialFiles: a FIFO is skipped by a walk and
// refused in a manifest, and never opened either way (opening one for
// reading would block).
func TestCollectNeverOpensSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"ok.bin": "ok"})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	if err := os.Symlink("pipe", filepath.Join(dir, "pipelink")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	rec := &recorder{next: OSOpener}
	res, err := Collect(ctx, Source{ModelPath: dir}, Options{Open: rec.open})
	want := filesOf(map[string]string{"ok.bin": "ok"})
	if err != nil || len(res.Files) != 1 || res.Files[0] != want[0] {
		t.Errorf("Collect(walk with a FIFO) = %v, %v, want %v, nil", res.Files, err, want)
	}
	for _, name := range []string{"pipe", "pipelink"} {
		rec := &recorder{next: OSOpener}
		_, err = Collect(ctx, Source{ModelPath: dir, Listed: []string{name, "ok.bin"}}, Options{Open: rec.open})
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), `"`+name+`"`) {
			t.Errorf("Collect(manifest [%s ok.bin]) error = %v, want ErrNotRegular naming it", name, err)
		}
		if rec.wasOpened("pipe") || rec.wasOpened(name) {
			t.Errorf("Collect(manifest [%s ok.bin]) opened the FIFO", name)
		}
	}
	if rec.wasOpened("pipe") || rec.wasOpened("pipelink") {
		t.Errorf("Collect(walk with a FIFO) opened it: %v", rec.opened)
	}
}

// TestCollectReportsFileChanged grows a file after its first buffer is
// hashed; Collect must report it instead of hashing it half-old.
func TestCollectReportsFileChanged(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "weights.bin")
	if err := os.WriteFile(big, make([]byte, 3*bufSize), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		change func() error
	}{
		{"grows", func() error {
			f, err := os.OpenFile(big, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("more"))
			return err
		}},
		{"shrinks", func() error { return os.Truncate(big, bufSize+1) }},
		{"rewritten in place", func() error {
			f, err := os.OpenFile(big, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{1}, 0)
			if err == nil {
				err = os.Chtimes(big, time.Time{}, time.Now().Add(time.Hour))
			}
			return err
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(big, make([]byte, 3*bufSize), 0o644); err != nil {
				t.Fatal(err)
			}
			changed := false
			progress := func(done, total int64) {
				if done > 0 && !changed {
					changed = true
					if err := tt.change(); err != nil {
						t.Error(err)
					}
				}
			}
			_, err := Collect(context.Background(), Source{ModelPath: dir}, Options{Progress: progress})
			if !errors.Is(err, ErrFileChanged) || !strings.Contains(err.Error(), "weights.bin") {
				t.Errorf("Collect(file that %s while hashed) error = %v, want ErrFileChanged naming weights.bin", tt.name, err)
			}
		})
	}
}

// TestCollectCancel: a cancelled context stops hashing within a buffer or
// so per worker and returns ctx's error.
func TestCollectCancel(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.bin", "b.bin", "c.bin"} {
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, 8*bufSize), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("during hashing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var last, total int64
		progress := func(done, tot int64) {
			last, total = done, tot
			if done >= 2*bufSize {
				cancel()
			}
		}
		_, err := Collect(ctx, Source{ModelPath: dir}, Options{Workers: 2, Progress: progress})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Collect(cancelled) error = %v, want context.Canceled", err)
		}
		if last > 4*bufSize || last >= total {
			t.Errorf("Collect(cancelled after 2 MiB) hashed %d of %d bytes, want at most %d", last, total, 4*bufSize)
		}
	})
	t.Run("before starting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rec := &recorder{next: OSOpener}
		_, err := Collect(ctx, Source{ModelPath: dir}, Options{Open: rec.open})
		if !errors.Is(err, context.Canceled) || len(rec.opened) != 0 {
			t.Errorf("Collect(already cancelled) = %v after opening %v, want context.Canceled, nothing opened", err, rec.opened)
		}
	})
}

// TestCollectProgress: (0, total) first, done never decreasing, (total,
// total) last, never called concurrently.
func TestCollectProgress(t *testing.T) {
	dir := t.TempDir()
	sizes := map[string]int{"a.bin": 3*bufSize + 5, "b.bin": bufSize, "c.bin": 7, "d.bin": 0}
	var total int64
	for n, sz := range sizes {
		total += int64(sz)
		if err := os.WriteFile(filepath.Join(dir, n), make([]byte, sz), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var calls [][2]int64
	inside := 0
	progress := func(done, tot int64) {
		inside++
		if inside > 1 {
			t.Error("Progress called concurrently")
		}
		calls = append(calls, [2]int64{done, tot})
		time.Sleep(time.Millisecond)
		inside--
	}
	res, err := Collect(context.Background(), Source{ModelPath: dir}, Options{Workers: 4, Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes != total {
		t.Errorf("Collect().Bytes = %d, want %d", res.Bytes, total)
	}
	if len(calls) < 2 || calls[0] != [2]int64{0, total} || calls[len(calls)-1] != [2]int64{total, total} {
		t.Fatalf("Progress calls = %v, want (0,%d) first and (%d,%d) last", calls, total, total, total)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] || calls[i][1] != total {
			t.Errorf("Progress call %d = %v after %v, want done non-decreasing and total %d", i, calls[i], calls[i-1], total)
		}
	}
}
