package registry_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// A layer that does not parse: the error names file, line and column, and
// nothing is written, not even the snapshot.
func TestParseErrorWritesNothing(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		content  func(orig string) string
		line     int
		col      int
		contains string
	}{
		{"truncated discovered", registry.DiscoveredFile, func(o string) string { return o[:len(o)/2] }, 0, 0, "unexpected end of file"},
		{"bad token in curated", registry.CuratedFile, func(o string) string { return strings.Replace(o, `"vllm"`, `vllm`, 1) }, 0, 0, "unexpected 'v'"},
		{"not an array", registry.DiscoveredFile, func(string) string { return "\n  {}" }, 2, 3, "must hold a JSON array"},
		{"trailing comma", registry.CuratedFile, func(string) string { return "[\n  {\"name\": \"x\", \"backend\": \"y\"},\n]" }, 3, 1, "unexpected ']'"},
		{"bad escape", registry.CuratedFile, func(string) string { return "[\"\\x\"]" }, 1, 3, "invalid escape"},
		{"trailing data", registry.CuratedFile, func(string) string { return "[]\n[]" }, 2, 1, "after the top-level array"},
		{"column counts characters", registry.CuratedFile, func(string) string { return "[\"ééé\" x]" }, 1, 8, "expected ','"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := corpusDir(t)
			orig := string(readFile(t, path(dir, tt.file)))
			content := tt.content(orig)
			writeFile(t, path(dir, tt.file), content)
			_, err := registry.Open(context.Background(), dir, registry.Options{})
			var pe *registry.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, registry.ErrSyntax) {
				t.Fatalf("Open() = %v, want a *ParseError wrapping ErrSyntax", err)
			}
			if pe.File != path(dir, tt.file) || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("Open() = %v, want it to name %s and say %q", err, tt.file, tt.contains)
			}
			if tt.line == 0 {
				tt.line = strings.Count(content, "\n") + 1
				if tt.contains != "unexpected end of file" {
					tt.line = pe.Line // checked by the other cases
				}
			}
			if pe.Line != tt.line || (tt.col != 0 && pe.Column != tt.col) {
				t.Errorf("ParseError at %d:%d, want %d:%d", pe.Line, pe.Column, tt.line, tt.col)
			}
			if !strings.HasPrefix(err.Error(), pe.File+":") {
				t.Errorf("error %q does not start with file:line:col", err)
			}
			if _, err := os.Stat(path(dir, registry.SnapshotFile)); !os.IsNotExist(err) {
				t.Errorf("a snapshot was written despite the parse error")
			}
		})
	}
}

func TestNoRegistry(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{dir, path(dir, "missing")} {
		_, err := registry.Open(context.Background(), d, registry.Options{})
		if !errors.Is(err, registry.ErrNoRegistry) || !strings.Contains(err.Error(), d) {
			t.Errorf("Open(%s) = %v, want ErrNoRegistry naming the directory", d, err)
		}
	}
	if _, err := registry.Open(context.Background(), path(dir, "missing"), registry.Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want it to wrap fs.ErrNotExist too", err)
	}
	if _, err := registry.OpenFile(context.Background(), path(dir, "x.json"), registry.Options{}); !errors.Is(err, registry.ErrNoRegistry) {
		t.Errorf("OpenFile(missing) = %v, want ErrNoRegistry", err)
	}
	// One layer alone is a registry.
	writeFile(t, path(dir, registry.DiscoveredFile), "[]\n")
	r := mustOpen(t, dir, registry.Options{})
	if n := len(r.Entries(context.Background())); n != 0 {
		t.Errorf("len(Entries()) = %d, want 0", n)
	}
	if got := string(readFile(t, path(dir, registry.SnapshotFile))); got != "[]\n" {
		t.Errorf("empty snapshot = %q, want \"[]\\n\"", got)
	}
}

const dupLayer = `[
  {"name": "x", "backend": "vllm", "roles": ["first"]},
  {"name": "y", "backend": "vllm"},
  {"name": "x", "backend": "ollama", "roles": ["second"]}
]
`

func TestDuplicates(t *testing.T) {
	t.Run("layered: later wins with a warning", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, path(dir, registry.DiscoveredFile), dupLayer)
		log, buf := newLogger()
		r := mustOpen(t, dir, registry.Options{Logger: log})
		e, _ := r.Get(context.Background(), "x")
		if e.Backend() != "ollama" || len(r.Entries(context.Background())) != 2 {
			t.Errorf("Get(x).Backend() = %q with %d entries, want the later record (ollama) and 2", e.Backend(), len(r.Entries(context.Background())))
		}
		if out := buf.String(); !strings.Contains(out, "duplicate") || !strings.Contains(out, path(dir, registry.DiscoveredFile)) || !strings.Contains(out, "entry=x") {
			t.Errorf("log = %q, want a duplicate warning naming the file and the entry", out)
		}
		// Editing touches the winning record only.
		lockEntry(t, r, "x", true)
		got := string(readFile(t, path(dir, registry.DiscoveredFile)))
		if !strings.HasPrefix(got, "[\n  {\"name\": \"x\", \"backend\": \"vllm\", \"roles\": [\"first\"]},\n") || !strings.Contains(got, `"locked": true`) {
			t.Errorf("discovered after editing a duplicate =\n%s", got)
		}
	})
	t.Run("single file: an error", func(t *testing.T) {
		f := path(t.TempDir(), "reg.json")
		writeFile(t, f, dupLayer)
		_, err := registry.OpenFile(context.Background(), f, registry.Options{})
		var de *registry.DuplicateError
		if !errors.As(err, &de) || !errors.Is(err, registry.ErrDuplicate) || de.Entry != "x" || de.File != f || de.Count != 2 {
			t.Fatalf("OpenFile() = %v, want a DuplicateError for x in %s", err, f)
		}
		r, err := registry.OpenFile(context.Background(), f, registry.Options{AllowDuplicates: true})
		if err != nil {
			t.Fatalf("OpenFile(AllowDuplicates) = %v", err)
		}
		if e, _ := r.Get(context.Background(), "x"); e.Backend() != "ollama" {
			t.Errorf("Get(x).Backend() = %q, want ollama (later wins)", e.Backend())
		}
	})
}

// Single-file mode loads and saves that one file, without ownership rules
// or a snapshot.
func TestSingleFileMode(t *testing.T) {
	dir := t.TempDir()
	f := path(dir, "reg.json")
	writeFile(t, f, editCurated)
	r, err := registry.OpenFile(context.Background(), f, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.File() != f || r.Dir() != dir {
		t.Errorf("File(), Dir() = %q, %q, want %q, %q", r.File(), r.Dir(), f, dir)
	}
	if err := r.Update(context.Background(), "c", func(ed *registry.Edit) error { return ed.Set("ollama", "backend") }); err != nil {
		t.Fatalf("Set(backend) in single-file mode = %v, want allowed", err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(editCurated, `"backend": "vllm"`, `"backend": "ollama"`, 1)
	if got := string(readFile(t, f)); got != want {
		t.Errorf("file after save =\n%s\nwant\n%s", got, want)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "reg.json" && !strings.HasSuffix(e.Name(), ".lock") {
			t.Errorf("single-file mode wrote %s", e.Name())
		}
	}
}

// The snapshot is rewritten only when a layer is newer than it.
func TestSnapshotRegeneratedOnlyWhenStale(t *testing.T) {
	dir := corpusDir(t)
	mustOpen(t, dir, registry.Options{})
	snap := path(dir, registry.SnapshotFile)
	old := time.Now().Add(time.Hour)
	if err := os.Chtimes(snap, old, old); err != nil {
		t.Fatal(err)
	}
	writeFile(t, snap, "[]\n") // fresh mtime, wrong content: must be left alone
	future := time.Now().Add(time.Hour)
	os.Chtimes(snap, future, future)
	mustOpen(t, dir, registry.Options{})
	if got := string(readFile(t, snap)); got != "[]\n" {
		t.Fatalf("a fresh snapshot was rewritten")
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(snap, past, past)
	mustOpen(t, dir, registry.Options{})
	if got := decodeNames(t, readFile(t, snap)); len(got) != 16 {
		t.Errorf("stale snapshot has %d entries after Open, want 16 (regenerated)", len(got))
	}
}

// A read-only directory is not an error for loading.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, whom directory permissions do not bind; TestUnwritableSnapshotIsNotAnError covers the same path for root")
	}
	dir := corpusDir(t)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	r, err := registry.Open(context.Background(), dir, registry.Options{})
	if err != nil {
		t.Fatalf("Open(read-only) = %v, want no error", err)
	}
	if len(r.Entries(context.Background())) != 16 {
		t.Errorf("len(Entries()) = %d, want 16", len(r.Entries(context.Background())))
	}
}

// A snapshot that cannot be written is logged, not an error.
func TestUnwritableSnapshotIsNotAnError(t *testing.T) {
	dir := corpusDir(t)
	if err := os.Mkdir(path(dir, registry.SnapshotFile), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path(dir, registry.SnapshotFile, "keep"), nil, 0o644)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path(dir, registry.SnapshotFile), past, past)
	log, buf := newLogger()
	r, err := registry.Open(context.Background(), dir, registry.Options{Logger: log})
	if err != nil {
		t.Fatalf("Open() = %v, want no error", err)
	}
	if len(r.Entries(context.Background())) != 16 || !strings.Contains(buf.String(), "snapshot") {
		t.Errorf("Open() gave %d entries and logged %q, want 16 and a snapshot warning", len(r.Entries(context.Background())), buf.String())
	}
}

// A long-running embedder sees edits: Entries and Get re-read a layer whose
// size, mtime, change time or inode changed; Refresh re-reads
// unconditionally.
func TestCacheInvalidation(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if n := len(r.Entries(context.Background())); n != 3 {
		t.Fatalf("len(Entries()) = %d, want 3", n)
	}
	writeFile(t, path(dir, registry.DiscoveredFile), strings.Replace(editDiscovered, `"name": "b"`, `"name": "bee"`, 1))
	if _, err := r.Get(context.Background(), "bee"); err != nil {
		t.Errorf("Get(bee) after an external edit = %v, want found", err)
	}
	// Same size, and the editor restored the mtime: the change time still
	// shows the edit. (It moves in steps of the kernel's coarse clock, a
	// few milliseconds: wait one out so the edit cannot share the read's.)
	fi, _ := os.Stat(path(dir, registry.DiscoveredFile))
	time.Sleep(30 * time.Millisecond)
	writeFile(t, path(dir, registry.DiscoveredFile), strings.Replace(editDiscovered, `"name": "b"`, `"name": "bus"`, 1))
	os.Chtimes(path(dir, registry.DiscoveredFile), fi.ModTime(), fi.ModTime())
	if fi2, _ := os.Stat(path(dir, registry.DiscoveredFile)); fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("setup: the edit changed the size or the mtime")
	}
	if _, err := r.Get(context.Background(), "bus"); err != nil {
		t.Errorf("Get(bus) after an edit that kept size and mtime = %v, want found", err)
	}
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(context.Background(), "bus"); err != nil {
		t.Errorf("Get(bus) after Refresh = %v, want found", err)
	}
	// A broken layer: Get reports it, Entries keeps the previous state.
	writeFile(t, path(dir, registry.DiscoveredFile), "[")
	var pe *registry.ParseError
	if _, err := r.Get(context.Background(), "bus"); !errors.As(err, &pe) {
		t.Errorf("Get after the layer broke = %v, want a ParseError", err)
	}
	if n := len(r.Entries(context.Background())); n != 3 {
		t.Errorf("len(Entries()) with a broken layer = %d, want the previous 3", n)
	}
}

func TestMigration(t *testing.T) {
	dir := t.TempDir()
	registrytest.CopyLegacy(t, dir)
	legacy := registrytest.ReadCorpusFile(t, registrytest.LegacyFile)
	log, buf := newLogger()
	r := mustOpen(t, dir, registry.Options{Logger: log})
	if n := len(r.Entries(context.Background())); n != 31 {
		t.Errorf("len(Entries()) after migration = %d, want 31", n)
	}
	if got := readFile(t, path(dir, registry.BackupFile)); string(got) != string(legacy) {
		t.Errorf("backup is not byte-identical to the legacy file")
	}
	cur := decodeNames(t, readFile(t, path(dir, registry.CuratedFile)))
	dis := decodeNames(t, readFile(t, path(dir, registry.DiscoveredFile)))
	if len(cur) != 2 || len(dis) != 29 {
		t.Errorf("curated, discovered records = %d, %d, want 2, 29 (32 discovered records, one name four times)", len(cur), len(dis))
	}
	for _, n := range cur {
		if e, _ := r.Get(context.Background(), n); e.Backend() != "vllm" {
			t.Errorf("curated record %q has backend %q, want vllm", n, e.Backend())
		}
	}
	if snap := decodeNames(t, readFile(t, path(dir, registry.SnapshotFile))); len(snap) != 31 {
		t.Errorf("snapshot after migration has %d entries, want 31", len(snap))
	}
	if !strings.Contains(buf.String(), "synthetic-test-ollama-gguf") {
		t.Errorf("log = %q, want the duplicated name warned about", buf.String())
	}
	// The layers keep the legacy records' bytes.
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"name": "llava-7b-ollama-gguf"`) {
		t.Errorf("discovered layer lost a legacy record")
	}

	// A second migration never overwrites the first backup.
	dir2 := t.TempDir()
	registrytest.CopyLegacy(t, dir2)
	writeFile(t, path(dir2, registry.BackupFile), "older backup")
	mustOpen(t, dir2, registry.Options{})
	if got := string(readFile(t, path(dir2, registry.BackupFile))); got != "older backup" {
		t.Errorf("an existing backup was overwritten")
	}
	if got := readFile(t, path(dir2, "model_registry.backup.pre_split.2.json")); string(got) != string(legacy) {
		t.Errorf("second backup is not byte-identical to the legacy file")
	}
}
