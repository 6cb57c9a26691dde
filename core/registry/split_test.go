package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// crashAt opens dir with a split that stops dead (a panic, standing in for
// a kill) just before step.
func crashAt(t *testing.T, dir string, step registry.SplitStep) {
	t.Helper()
	type crash struct{}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
		}
	}()
	_, err := registry.Open(context.Background(), dir, registry.Options{OnSplitStep: func(s registry.SplitStep) {
		if s == step {
			panic(crash{})
		}
	}})
	if step != registry.SplitDone {
		t.Fatalf("Open() = %v, want it stopped before %s", err, step)
	}
}

// checkSplitDone checks that dir holds the complete split of the corpus's
// legacy file, with one backup identical to it and no marker.
func checkSplitDone(t *testing.T, dir string, r *registry.Registry) {
	t.Helper()
	if n := len(r.Entries(context.Background())); n != 31 {
		t.Errorf("len(Entries()) = %d, want 31", n)
	}
	legacy := registrytest.ReadCorpusFile(t, registrytest.LegacyFile)
	if got := readFile(t, path(dir, registry.BackupFile)); string(got) != string(legacy) {
		t.Errorf("backup differs from the legacy file")
	}
	if cur, dis := decodeNames(t, readFile(t, path(dir, registry.CuratedFile))), decodeNames(t, readFile(t, path(dir, registry.DiscoveredFile))); len(cur) != 2 || len(dis) != 29 {
		t.Errorf("curated, discovered = %d, %d records, want 2, 29", len(cur), len(dis))
	}
	if _, err := os.Lstat(path(dir, registry.SplitMarkerFile)); !os.IsNotExist(err) {
		t.Errorf("the split marker is still there (%v)", err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	hidden, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*"))
	for _, n := range append(names, hidden...) {
		switch filepath.Base(n) {
		case registry.CuratedFile, registry.DiscoveredFile, registry.SnapshotFile, registry.BackupFile, registry.FlockFile:
		default:
			t.Errorf("stray file after the split: %s", filepath.Base(n))
		}
	}
}

// A split stopped before any of its steps is finished by the next Open:
// every entry, one backup, no marker, no temporary file.
func TestSplitRecoversFromEveryStep(t *testing.T) {
	for _, step := range registry.SplitSteps() {
		t.Run(string(step), func(t *testing.T) {
			dir := t.TempDir()
			registrytest.CopyLegacy(t, dir)
			crashAt(t, dir, step)
			log, buf := newLogger()
			r := mustOpen(t, dir, registry.Options{Logger: log})
			checkSplitDone(t, dir, r)
			resumed := strings.Contains(buf.String(), "interrupted")
			if wantResume := step != registry.SplitBackup && step != registry.SplitMarker && step != registry.SplitDone; resumed != wantResume {
				t.Errorf("after a stop before %s, the log says resumed=%v, want %v: %s", step, resumed, wantResume, buf.String())
			}
		})
	}
}

// A split whose legacy file was since overwritten (by an older version of
// the tool writing its snapshot, say) is finished from the backup.
func TestSplitResumesFromBackup(t *testing.T) {
	dir := t.TempDir()
	registrytest.CopyLegacy(t, dir)
	crashAt(t, dir, registry.SplitDiscovered)
	writeFile(t, path(dir, registry.SnapshotFile), "[]\n")
	r := mustOpen(t, dir, registry.Options{})
	checkSplitDone(t, dir, r)
}

// When neither the legacy file nor the backup holds the bytes the marker
// records, Open refuses, says how to recover, and writes nothing.
func TestSplitRefusesWithoutTheOriginal(t *testing.T) {
	dir := t.TempDir()
	registrytest.CopyLegacy(t, dir)
	crashAt(t, dir, registry.SplitRemoveMarker) // layers written, legacy removed
	crashAt(t, dir, registry.SplitCurated)      // resumed from the backup, stopped again
	os.Remove(path(dir, registry.BackupFile))
	snapshot := func() map[string]string {
		m := map[string]string{}
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, n := range names {
			m[n] = string(readFile(t, n))
		}
		return m
	}
	before := snapshot()
	_, err := registry.Open(context.Background(), dir, registry.Options{})
	if !errors.Is(err, registry.ErrInterruptedSplit) {
		t.Fatalf("Open() = %v, want ErrInterruptedSplit", err)
	}
	for _, want := range []string{dir, registry.SplitMarkerFile, "restore", registry.SnapshotFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, err := registry.Validate(context.Background(), dir); !errors.Is(err, registry.ErrInterruptedSplit) {
		t.Errorf("Validate() = %v, want ErrInterruptedSplit", err)
	}
	after := snapshot()
	if len(after) != len(before) {
		t.Errorf("files before %d, after %d", len(before), len(after))
	}
	for n, b := range before {
		if after[n] != b {
			t.Errorf("Open() changed %s", n)
		}
	}
	// Restoring the original as the instructions say recovers everything.
	writeFile(t, path(dir, registry.SnapshotFile), string(registrytest.ReadCorpusFile(t, registrytest.LegacyFile)))
	r := mustOpen(t, dir, registry.Options{})
	checkSplitDone(t, dir, r)
}

// A read-only open of a legacy-only folder reads the legacy file as it is:
// all its entries, no split, nothing written; Save refuses.
func TestReadOnlyDoesNotSplit(t *testing.T) {
	dir := t.TempDir()
	legacy := string(registrytest.ReadCorpusFile(t, registrytest.LegacyFile))
	writeFile(t, path(dir, registry.SnapshotFile), legacy)
	r := mustOpen(t, dir, registry.Options{ReadOnly: true})
	if n := len(r.Entries(context.Background())); n != 31 {
		t.Errorf("len(Entries()) = %d, want the legacy file's 31", n)
	}
	if err := r.Save(context.Background()); !errors.Is(err, registry.ErrReadOnly) {
		t.Errorf("Save() = %v, want ErrReadOnly", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || string(readFile(t, path(dir, registry.SnapshotFile))) != legacy {
		t.Errorf("folder after a read-only open holds %v, want the untouched legacy file alone", entries)
	}
}
