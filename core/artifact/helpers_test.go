package artifact

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// demoTree is the third published test vector's folder.
func demoTree() map[string]string {
	var w strings.Builder
	for range 4 {
		for b := range 256 {
			w.WriteByte(byte(b))
		}
	}
	return map[string]string{
		"config.json":        `{"architectures": ["Demo"]}` + "\n",
		"weights.bin":        w.String(),
		"sub/tokenizer.json": "{}",
	}
}

// writeTree creates files (slash-separated names) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// mapTree is files as an in-memory tree.
func mapTree(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, data := range files {
		m[name] = &fstest.MapFile{Data: []byte(data), Mode: 0o644}
	}
	return m
}

// mapOpener serves m for any root.
func mapOpener(m fs.FS) Opener {
	return func(string) (fs.FS, error) { return m, nil }
}

// filesOf hashes files the slow, obvious way.
func filesOf(files map[string]string) []File {
	var out []File
	for name, data := range files {
		out = append(out, File{Path: name, SHA256: sumHex(data)})
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// recorder wraps an Opener and records every root opened and every file
// opened through the tree, so tests can prove a file was never opened.
type recorder struct {
	next   Opener
	mu     sync.Mutex
	roots  []string
	opened []string
}

func (r *recorder) open(root string) (fs.FS, error) {
	r.mu.Lock()
	r.roots = append(r.roots, root)
	r.mu.Unlock()
	fsys, err := r.next(root)
	if err != nil {
		return nil, err
	}
	return &recFS{fsys.(fullFS), r}, nil
}

func (r *recorder) wasOpened(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.opened, name)
}

type fullFS interface {
	fs.ReadLinkFS
	fs.StatFS
	fs.ReadDirFS
}

type recFS struct {
	fullFS
	r *recorder
}

func (f *recFS) Open(name string) (fs.File, error) {
	f.r.mu.Lock()
	f.r.opened = append(f.r.opened, name)
	f.r.mu.Unlock()
	return f.fullFS.Open(name)
}

// quoteVerb formats s the way %q does.
func quoteVerb(s string) string { return fmt.Sprintf("%q", s) }
