package registry_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"

	"github.com/imageworks-ai/loader/core/registry"
)

// An edit that changes nothing leaves every file byte-identical and
// unwritten.
func TestNoopSaveLeavesFilesIdentical(t *testing.T) {
	dir := corpusDir(t)
	r := mustOpen(t, dir, registry.Options{})
	files := []string{registry.CuratedFile, registry.DiscoveredFile, registry.SnapshotFile}
	before := map[string][]byte{}
	mtimes := map[string]time.Time{}
	for _, f := range files {
		before[f] = readFile(t, path(dir, f))
		fi, _ := os.Stat(path(dir, f))
		mtimes[f] = fi.ModTime()
	}
	lockEntry(t, r, "gpt-oss-20b_(MXFP4)", false)        // already unlocked (discovered)
	lockEntry(t, r, "qwen3-vl-8b-instruct_(FP8)", false) // already unlocked (curated entry)
	for _, f := range files {
		if got := readFile(t, path(dir, f)); !bytes.Equal(got, before[f]) {
			t.Errorf("%s changed after a no-op save", f)
		}
		if fi, _ := os.Stat(path(dir, f)); !fi.ModTime().Equal(mtimes[f]) {
			t.Errorf("%s was rewritten by a no-op save", f)
		}
	}
}

// Locking one entry changes one line inside that entry's record; unlocking
// restores the original bytes; the curated file never changes.
func TestLockChangesOnlyThatEntry(t *testing.T) {
	dir := corpusDir(t)
	r := mustOpen(t, dir, registry.Options{})
	origDis := readFile(t, path(dir, registry.DiscoveredFile))
	origCur := readFile(t, path(dir, registry.CuratedFile))
	const name = "gpt-oss-20b_(MXFP4)"
	lockEntry(t, r, name, true)
	got := readFile(t, path(dir, registry.DiscoveredFile))
	ol, nl := strings.Split(string(origDis), "\n"), strings.Split(string(got), "\n")
	if len(ol) != len(nl) {
		t.Fatalf("lock changed the line count: %d -> %d", len(ol), len(nl))
	}
	var changed []int
	for i := range ol {
		if ol[i] != nl[i] {
			changed = append(changed, i)
		}
	}
	if len(changed) != 1 || strings.TrimSpace(nl[changed[0]]) != `"locked": true,` {
		t.Fatalf("changed lines = %v, want the one locked line", changed)
	}
	// The line lies inside the entry's record.
	start := strings.Index(string(origDis), `"name": "`+name+`"`)
	end := start + strings.Index(string(origDis[start:]), "\n  }")
	lineStart := strings.Count(string(origDis[:start]), "\n")
	lineEnd := strings.Count(string(origDis[:end]), "\n")
	if changed[0] < lineStart || changed[0] > lineEnd {
		t.Errorf("changed line %d is outside the entry's lines %d..%d", changed[0], lineStart, lineEnd)
	}
	if e, _ := mustOpen(t, dir, registry.Options{}).Get(context.Background(), name); !e.VersionLock().Locked {
		t.Errorf("VersionLock().Locked after lock = false, want true")
	}
	lockEntry(t, r, name, false)
	if got := readFile(t, path(dir, registry.DiscoveredFile)); !bytes.Equal(got, origDis) {
		t.Errorf("lock then unlock did not restore the discovered file")
	}
	if got := readFile(t, path(dir, registry.CuratedFile)); !bytes.Equal(got, origCur) {
		t.Errorf("the curated file changed")
	}
}

const editCurated = `[
  {
    "name": "c",
    "backend": "vllm",
    "version_lock": {
      "locked": false,
      "expected_aggregate_sha256": "abc",
      "last_verified": null
    }
  }
]
`

const editDiscovered = `[
  {
    "name": "a",
    "backend": "vllm",
    "x_unknown": {"compact":[1,2]},
    "version_lock": {
      "locked": false,
      "expected_aggregate_sha256": null,
      "last_verified": null
    }
  },
  {"name": "b", "backend": "ollama", "weird":   [ 1 ,2 ]}
]
`

func editDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), editCurated)
	writeFile(t, path(dir, registry.DiscoveredFile), editDiscovered)
	return dir
}

// New values are written in the reference layout; untouched keys keep
// their bytes, whatever their layout.
func TestEditKeepsBytesAndWritesReferenceLayout(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	err := r.Update(context.Background(), "a", func(ed *registry.Edit) error {
		if err := ed.Set(true, "version_lock", "locked"); err != nil {
			return err
		}
		if err := ed.Set(map[string]any{"vision_ok": true, "notes": "é <ok> & \"q\"", "latency_ms": 12.0, "tiny": 1e-05, "none": nil, "empty": []any{}, "obj": map[string]any{}}, "probes", "vision"); err != nil {
			return err
		}
		if !ed.Entry().VersionLock().Locked {
			t.Errorf("Edit.Entry().VersionLock().Locked = false after Set, want true")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Update(context.Background(), "b", func(ed *registry.Edit) error { return ed.Set([]string{}, "roles") }); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `[
  {
    "name": "a",
    "backend": "vllm",
    "x_unknown": {"compact":[1,2]},
    "version_lock": {
      "locked": true,
      "expected_aggregate_sha256": null,
      "last_verified": null
    },
    "probes": {
      "vision": {
        "empty": [],
        "latency_ms": 12.0,
        "none": null,
        "notes": "é <ok> & \"q\"",
        "obj": {},
        "tiny": 1e-05,
        "vision_ok": true
      }
    }
  },
  {"name": "b", "backend": "ollama", "weird":   [ 1 ,2 ],
    "roles": []}
]
`
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != want {
		t.Errorf("discovered after edits =\n%s\nwant\n%s", got, want)
	}
	if got := string(readFile(t, path(dir, registry.CuratedFile))); got != editCurated {
		t.Errorf("the curated file changed")
	}
}

// A curated entry without a discovered record gets a sparse overlay: its
// name and the runtime-owned key being set, seeded from the curated value.
func TestSparseOverlayForCuratedEntry(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	lockEntry(t, r, "c", true)
	want := strings.TrimSuffix(editDiscovered, "\n]\n") + `,
  {
    "name": "c",
    "version_lock": {
      "locked": true,
      "expected_aggregate_sha256": "abc",
      "last_verified": null
    }
  }
]
`
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != want {
		t.Errorf("discovered =\n%s\nwant\n%s", got, want)
	}
	e, _ := mustOpen(t, dir, registry.Options{}).Get(context.Background(), "c")
	if vl := e.VersionLock(); !vl.Locked || vl.ExpectedAggregateSHA256 != "abc" || e.Backend() != "vllm" {
		t.Errorf("merged c = %+v backend %q, want locked with expected abc, backend vllm", vl, e.Backend())
	}
}

func TestEditRefusals(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	tests := []struct {
		name  string
		entry string
		path  []string
		want  error
	}{
		{"curated-owned key of a curated entry", "c", []string{"backend"}, registry.ErrCuratedField},
		{"nested curated-owned key", "c", []string{"capabilities", "vision"}, registry.ErrCuratedField},
		{"runtime-owned key of a curated entry", "c", []string{"performance", "rolling_samples"}, nil},
		{"curated-owned key of a discovered-only entry", "a", []string{"backend"}, nil},
		{"the name", "a", []string{"name"}, registry.ErrInvalidEdit},
		{"empty path", "a", nil, registry.ErrInvalidEdit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := r.Update(context.Background(), tt.entry, func(ed *registry.Edit) error { return ed.Set("x", tt.path...) })
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Set(%q, %v) = %v, want %v", tt.entry, tt.path, err, tt.want)
			}
			var cfe *registry.CuratedFieldError
			if errors.As(err, &cfe) {
				if cfe.Entry != tt.entry || cfe.Field != tt.path[0] || cfe.File != path(dir, registry.CuratedFile) {
					t.Errorf("CuratedFieldError = %+v, want entry %q field %q file %s", cfe, tt.entry, tt.path[0], path(dir, registry.CuratedFile))
				}
				if !strings.Contains(err.Error(), tt.path[0]) || !strings.Contains(err.Error(), registry.CuratedFile) {
					t.Errorf("error %q does not name the field and the curated file", err)
				}
			}
		})
	}
	if err := r.Update(context.Background(), "nope", func(*registry.Edit) error { return nil }); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Update(unknown) = %v, want ErrNotFound", err)
	}
	// A failing fn stages nothing.
	boom := errors.New("boom")
	if err := r.Update(context.Background(), "b", func(ed *registry.Edit) error {
		_ = ed.Set(true, "deprecated")
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	if e, _ := r.Get(context.Background(), "b"); e.Deprecated() {
		t.Errorf("a failed Update was staged")
	}
}

// errMarshal is what failingMarshaler's MarshalJSON returns.
var errMarshal = errors.New("cannot marshal")

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errMarshal }

// A value that cannot be encoded is ErrInvalidEdit, and its cause stays
// matchable.
func TestSetKeepsEncodingCause(t *testing.T) {
	r := mustOpen(t, editDir(t), registry.Options{})
	err := r.Update(context.Background(), "a", func(ed *registry.Edit) error {
		return ed.Set(failingMarshaler{}, "metadata")
	})
	if !errors.Is(err, registry.ErrInvalidEdit) || !errors.Is(err, errMarshal) {
		t.Errorf("Set(failingMarshaler) = %v, want ErrInvalidEdit wrapping the marshaler's error", err)
	}
}

func TestAddAndRemove(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if err := r.Add(context.Background(), []byte(`{"name":"new","backend":"ollama","roles":[],"x":{"y":null,"z":"<&>"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get(context.Background(), "new"); err != nil {
		t.Errorf("Get(new) after Add = %v, want the staged entry", err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(editDiscovered, "\n]\n") + `,
  {
    "name": "new",
    "backend": "ollama",
    "roles": [],
    "x": {
      "y": null,
      "z": "<&>"
    }
  }
]
`
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != want {
		t.Errorf("discovered after Add =\n%s\nwant\n%s", got, want)
	}
	for _, rec := range []string{`{"name":"new","backend":"x"}`, `{"name":"c"}`} {
		if err := r.Add(context.Background(), []byte(rec)); !errors.Is(err, registry.ErrDuplicate) {
			t.Errorf("Add(%s) = %v, want ErrDuplicate", rec, err)
		}
	}
	for _, rec := range []string{`[]`, `{"backend":"x"}`, `{"name":"  "}`, `{"name":"x"`, `{"name":"x"} x`} {
		if err := r.Add(context.Background(), []byte(rec)); !errors.Is(err, registry.ErrInvalidEdit) {
			t.Errorf("Add(%s) = %v, want ErrInvalidEdit", rec, err)
		}
	}
	if err := r.Remove(context.Background(), "new"); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != editDiscovered {
		t.Errorf("discovered after Remove =\n%s\nwant the original", got)
	}
	if err := r.Remove(context.Background(), "c"); !errors.Is(err, registry.ErrCuratedField) {
		t.Errorf("Remove(curated) = %v, want ErrCuratedField", err)
	}
	if err := r.Remove(context.Background(), "zzz"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Remove(unknown) = %v, want ErrNotFound", err)
	}
}

// A new record is written in the reference spelling even when it comes
// already in the reference layout: escapes Python's json.dump would not
// write (\u00e9, \/) are spelled out, as for any other new record.
func TestAddRespellsEscapesOfAReferenceLayoutRecord(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	rec := "{\n    \"name\": \"new\",\n    \"display_name\": \"caf\\u00e9 a\\/b\"\n  }"
	if err := r.Add(context.Background(), []byte(rec)); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(editDiscovered, "\n]\n") + `,
  {
    "name": "new",
    "display_name": "café a/b"
  }
]
`
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != want {
		t.Errorf("discovered after Add =\n%s\nwant\n%s", got, want)
	}
}

// A save re-reads the layers and applies only this process's changes.
func TestSaveAppliesOnlyOwnChanges(t *testing.T) {
	dir := corpusDir(t)
	r1 := mustOpen(t, dir, registry.Options{})
	r2 := mustOpen(t, dir, registry.Options{})
	if err := r2.Update(context.Background(), "llama_8.0b_(Q5_K_M)", func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") }); err != nil {
		t.Fatal(err)
	}
	lockEntry(t, r1, "gpt-oss-20b_(MXFP4)", true)
	if err := r2.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	r3 := mustOpen(t, dir, registry.Options{})
	for _, name := range []string{"gpt-oss-20b_(MXFP4)", "llama_8.0b_(Q5_K_M)"} {
		if e, _ := r3.Get(context.Background(), name); !e.VersionLock().Locked {
			t.Errorf("%s not locked after both saves", name)
		}
	}
	if e, _ := r2.Get(context.Background(), "gpt-oss-20b_(MXFP4)"); !e.VersionLock().Locked {
		t.Errorf("r2 does not see r1's change after its own save")
	}
	// The snapshot follows.
	snap := decodeByName(t, readFile(t, path(dir, registry.SnapshotFile)))
	vl := snap["llama_8.0b_(Q5_K_M)"].(map[string]any)["version_lock"].(map[string]any)
	if vl["locked"] != true {
		t.Errorf("snapshot version_lock = %v, want locked", vl)
	}
}

// A staged change to an entry someone else removed fails the save, and
// nothing is written.
func TestSaveFailsWhenEntryVanished(t *testing.T) {
	dir := editDir(t)
	r1 := mustOpen(t, dir, registry.Options{})
	r2 := mustOpen(t, dir, registry.Options{})
	if err := r1.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	if err := r2.Remove(context.Background(), "a"); err != nil {
		t.Fatal(err)
	}
	if err := r2.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path(dir, registry.DiscoveredFile))
	if err := r1.Save(context.Background()); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("Save() = %v, want ErrNotFound", err)
	}
	if got := readFile(t, path(dir, registry.DiscoveredFile)); !bytes.Equal(got, before) {
		t.Errorf("a failed save wrote the discovered layer")
	}
}

// Every runtime-owned key may be set on a curated entry; the others are
// refused.
func TestOwnership(t *testing.T) {
	runtime := []string{"artifacts", "version_lock", "performance", "probes", "download_format", "download_location",
		"download_path", "download_size_bytes", "download_files", "download_directory_checksum", "downloaded_at", "last_accessed"}
	curated := []string{"display_name", "backend", "backend_config", "capabilities", "generation_defaults", "chat_template",
		"metadata", "served_model_id", "model_aliases", "roles", "role_priority", "license", "deprecated", "unknown_key"}
	r := mustOpen(t, editDir(t), registry.Options{})
	for _, k := range runtime {
		if !registry.RuntimeOwned(k) {
			t.Errorf("RuntimeOwned(%q) = false, want true", k)
		}
		if err := r.Update(context.Background(), "c", func(ed *registry.Edit) error { return ed.Set("v", k) }); err != nil {
			t.Errorf("Set(%q) on a curated entry = %v, want allowed", k, err)
		}
	}
	for _, k := range curated {
		if registry.RuntimeOwned(k) {
			t.Errorf("RuntimeOwned(%q) = true, want false", k)
		}
		if err := r.Update(context.Background(), "c", func(ed *registry.Edit) error { return ed.Set("v", k) }); !errors.Is(err, registry.ErrCuratedField) {
			t.Errorf("Set(%q) on a curated entry = %v, want ErrCuratedField", k, err)
		}
	}
}

// Staged changes survive a re-read of the layers and are replayed on the
// new contents.
func TestRefreshKeepsStagedChanges(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path(dir, registry.DiscoveredFile), strings.Replace(editDiscovered, `"name": "b"`, `"name": "bee"`, 1))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e, err := r.Get(context.Background(), "a"); err != nil || !e.Deprecated() {
		t.Errorf("Get(a) after Refresh = %v, %v, want the staged deprecation", e, err)
	}
	if _, err := r.Get(context.Background(), "bee"); err != nil {
		t.Errorf("Get(bee) after Refresh = %v, want the external change", err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := string(readFile(t, path(dir, registry.DiscoveredFile)))
	if !strings.Contains(got, `"name": "bee"`) || !strings.Contains(got, `"deprecated": true`) {
		t.Errorf("discovered after Save =\n%s\nwant both the external and the staged change", got)
	}
}

// Save waits for the lock only as long as its context allows, and writes
// nothing when it gives up.
func TestSaveHonoursContext(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	holder := flock.New(path(dir, registry.FlockFile))
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.Save(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), registry.FlockFile) {
		t.Errorf("Save() with the lock held = %v, want a deadline error naming the lock file", err)
	}
	if got := string(readFile(t, path(dir, registry.DiscoveredFile))); got != editDiscovered {
		t.Errorf("Save() wrote without the lock")
	}
	holder.Unlock()
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := r.Save(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Save(cancelled) = %v, want context.Canceled", err)
	}
	if err := r.Save(context.Background()); err != nil {
		t.Fatalf("Save() after the lock is free = %v", err)
	}
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"deprecated": true`) {
		t.Errorf("the staged change was lost by the failed saves")
	}
}

// A curated version_lock never undoes an unlock: the discovered value
// wins once tooling has set it.
func TestUnlockNotUndoneByCuratedLock(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), strings.Replace(editCurated, `"locked": false`, `"locked": true`, 1))
	r := mustOpen(t, dir, registry.Options{})
	if e, _ := r.Get(context.Background(), "c"); !e.VersionLock().Locked {
		t.Fatalf("curated lock not in effect before the unlock")
	}
	lockEntry(t, r, "c", false)
	e, _ := mustOpen(t, dir, registry.Options{}).Get(context.Background(), "c")
	if vl := e.VersionLock(); vl.Locked || vl.ExpectedAggregateSHA256 != "abc" {
		t.Errorf("VersionLock() after unlock = %+v, want unlocked, expected hash kept", vl)
	}
}

// A snapshot that cannot be written after the discovered layer was saved
// is logged, not returned: the save has happened and is not staged again.
func TestSaveSucceedsWhenOnlySnapshotFails(t *testing.T) {
	dir := editDir(t)
	snap := path(dir, registry.SnapshotFile)
	if err := os.Mkdir(snap, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path(snap, "keep"), "")
	log, buf := newLogger()
	r := mustOpen(t, dir, registry.Options{Logger: log})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	before := len(buf.String())
	if err := r.Save(context.Background()); err != nil {
		t.Fatalf("Save() with an unwritable snapshot = %v, want nil", err)
	}
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"deprecated": true`) {
		t.Errorf("Save() did not write the discovered change")
	}
	if logged := buf.String()[before:]; !strings.Contains(logged, "snapshot") || !strings.Contains(logged, registry.SnapshotFile) {
		t.Errorf("Save() logged %q, want a warning naming the snapshot", logged)
	}
	// The change is no longer staged: removing the entry on disk does not
	// make the next save fail on it.
	writeFile(t, path(dir, registry.DiscoveredFile), "[]\n")
	if err := r.Save(context.Background()); err != nil {
		t.Errorf("second Save() = %v, want nil (nothing staged)", err)
	}
}

// cancelAfterWrite is a context that reports cancellation once file holds
// marker, i.e. right after Save has written the discovered layer.
type cancelAfterWrite struct {
	context.Context
	file, marker string
}

func (c cancelAfterWrite) Err() error {
	if b, err := os.ReadFile(c.file); err == nil && strings.Contains(string(b), c.marker) {
		return context.Canceled
	}
	return nil
}

// A context that ends after the discovered layer is written does not turn
// the save into an error, and the snapshot is still written.
func TestSaveCompletesSnapshotAfterCommit(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	ctx := cancelAfterWrite{Context: context.Background(), file: path(dir, registry.DiscoveredFile), marker: `"deprecated": true`}
	if err := r.Save(ctx); err != nil {
		t.Fatalf("Save(cancelled after the write) = %v, want nil", err)
	}
	snap := decodeByName(t, readFile(t, path(dir, registry.SnapshotFile)))
	if a, _ := snap["a"].(map[string]any); a["deprecated"] != true {
		t.Errorf("snapshot entry a = %v, want deprecated", a)
	}
}

// Waiting for the file lock does not block readers of the same Registry.
func TestSaveWaitingForLockDoesNotBlockReaders(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	if err := r.Update(context.Background(), "a", func(ed *registry.Edit) error { return ed.Set(true, "deprecated") }); err != nil {
		t.Fatal(err)
	}
	holder := flock.New(path(dir, registry.FlockFile))
	if err := holder.Lock(); err != nil {
		t.Fatal(err)
	}
	saved := make(chan error, 1)
	go func() { saved <- r.Save(context.Background()) }()
	// Read repeatedly over a window in which Save is surely waiting; each
	// read must return promptly.
	for i := 0; i < 6; i++ {
		time.Sleep(50 * time.Millisecond)
		got := make(chan error, 1)
		go func() {
			_, err := r.Get(context.Background(), "a")
			r.Entries(context.Background())
			got <- err
		}()
		select {
		case err := <-got:
			if err != nil {
				t.Errorf("Get(a) while Save waits = %v, want the entry", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("Get(a) blocked while Save waited for the file lock")
		}
	}
	select {
	case err := <-saved:
		t.Fatalf("Save() = %v while another process held the lock, want it to wait", err)
	default: // still waiting, as it must: the reads above ran during the wait
	}
	holder.Unlock()
	if err := <-saved; err != nil {
		t.Fatalf("Save() after the lock is free = %v", err)
	}
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"deprecated": true`) {
		t.Errorf("Save() did not write the change once the lock was free")
	}
}

// TestSnapshotRedactsCredentialsHoweverSpelled: a password in a curated
// base_url or URL-shaped host never reaches the snapshot, whatever JSON
// spelling the curated file used for the URL (escaped slashes, \u escapes);
// a URL without credentials and the curated file stay as they were.
func TestSnapshotRedactsCredentialsHoweverSpelled(t *testing.T) {
	dir := t.TempDir()
	// The reference layout, which the snapshot copies byte for byte.
	curated := `[
  {
    "name": "plain",
    "backend": "vllm",
    "backend_config": {
      "base_url": "http://u:plainpw@h:1/v1"
    }
  },
  {
    "name": "slashes",
    "backend": "vllm",
    "backend_config": {
      "base_url": "http:\/\/u:slashpw@h:1\/v1"
    }
  },
  {
    "name": "unicode",
    "backend": "vllm",
    "backend_config": {
      "host": "http:\u002F\u002Fv:unipw@h2",
      "port": 8000
    }
  },
  {
    "name": "clean",
    "backend": "vllm",
    "backend_config": {
      "base_url": "http:\/\/h:1\/v1"
    }
  }
]
`
	writeFile(t, path(dir, registry.CuratedFile), curated)
	lockEntry(t, mustOpen(t, dir, registry.Options{}), "clean", true)

	snap := readFile(t, path(dir, registry.SnapshotFile))
	for _, pw := range []string{"plainpw", "slashpw", "unipw"} {
		if bytes.Contains(snap, []byte(pw)) {
			t.Errorf("snapshot holds the password %q:\n%s", pw, snap)
		}
	}
	recs := decodeByName(t, snap)
	for name, want := range map[string][2]string{
		"plain":   {"base_url", "http://u:xxxxx@h:1/v1"},
		"slashes": {"base_url", "http://u:xxxxx@h:1/v1"},
		"unicode": {"host", "http://v:xxxxx@h2"},
		"clean":   {"base_url", "http://h:1/v1"},
	} {
		bc, _ := recs[name].(map[string]any)["backend_config"].(map[string]any)
		if got := bc[want[0]]; got != want[1] {
			t.Errorf("snapshot %s backend_config.%s = %v, want %q", name, want[0], got, want[1])
		}
	}
	if got := string(readFile(t, path(dir, registry.CuratedFile))); got != curated {
		t.Errorf("curated file changed:\n%s", got)
	}
}
