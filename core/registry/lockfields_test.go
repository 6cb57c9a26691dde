package registry_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// TestCheckedVersionLock: a lock field of the wrong type is an error naming
// the entry and the field, never read as "unlocked"; well-typed locks (and
// none at all) read as VersionLock does.
func TestCheckedVersionLock(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[
 {"name": "str", "version_lock": {"locked": "true", "expected_aggregate_sha256": "aa"}},
 {"name": "one", "version_lock": {"locked": 1}},
 {"name": "nulllocked", "version_lock": {"locked": null}},
 {"name": "hashnum", "version_lock": {"locked": true, "expected_aggregate_sha256": 5}},
 {"name": "files", "version_lock": {"locked": true, "expected_files": {"a": 1}}},
 {"name": "notobj", "version_lock": true},
 {"name": "ok", "version_lock": {"locked": true, "expected_aggregate_sha256": "aa", "last_verified": "whenever",
   "expected_files": [{"path": "a.bin", "sha256": "bb"}]}},
 {"name": "nulllock", "version_lock": null},
 {"name": "none"}
]`)
	r := mustOpen(t, dir, registry.Options{})
	for name, field := range map[string]string{
		"str": "version_lock.locked", "one": "version_lock.locked", "nulllocked": "version_lock.locked",
		"hashnum": "version_lock.expected_aggregate_sha256", "files": "version_lock.expected_files",
		"notobj": "version_lock must be",
	} {
		e, err := r.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.CheckedVersionLock()
		var fe *registry.FieldError
		if !errors.Is(err, registry.ErrInvalidField) || !errors.As(err, &fe) || fe.Entry != name ||
			!strings.Contains(err.Error(), `"`+name+`"`) || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: CheckedVersionLock() error = %v, want a *FieldError naming the entry and %s", name, err, field)
		}
	}
	for _, name := range []string{"ok", "nulllock", "none"} {
		e, _ := r.Get(ctx, name)
		vl, err := e.CheckedVersionLock()
		if err != nil || !reflect.DeepEqual(vl, e.VersionLock()) {
			t.Errorf("%s: CheckedVersionLock() = %+v, %v, want %+v, nil", name, vl, err, e.VersionLock())
		}
	}
	e, _ := r.Get(ctx, "ok")
	if got, want := e.VersionLock().ExpectedFiles, []registry.ArtifactFile{{Path: "a.bin", SHA256: "bb"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("VersionLock().ExpectedFiles = %+v, want %+v", got, want)
	}
	if e, _ := r.Get(ctx, "none"); e.VersionLock().ExpectedFiles != nil {
		t.Errorf("VersionLock().ExpectedFiles without the key = %#v, want nil", e.VersionLock().ExpectedFiles)
	}
}

// TestSetExpectedFilesAndHash: the pinned manifest is written under
// version_lock; SetExpectedHash replaces a stored hash only while it is the
// one seen, and sets an absent one only while it is still absent.
func TestSetExpectedFilesAndHash(t *testing.T) {
	ctx := context.Background()
	dir, r1, r2 := twoWriters(t)
	files := []registry.ArtifactFile{{Path: "w.bin", SHA256: "cc"}}
	update(t, r1, "m", func(ed *registry.Edit) error {
		if ok, err := ed.SetExpectedHash("", hashA); !ok || err != nil {
			t.Errorf("SetExpectedHash(\"\", %q) = %v, %v, want true, nil", hashA, ok, err)
		}
		return ed.SetExpectedFiles(files)
	})
	// r2 stages its own "replace none" before r1 saves: it must not win.
	update(t, r2, "m", func(ed *registry.Edit) error {
		_, err := ed.SetExpectedHash("", hashB)
		return err
	})
	if err := r1.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"expected_files": [`) {
		t.Errorf("discovered layer lacks version_lock.expected_files:\n%s", readFile(t, path(dir, registry.DiscoveredFile)))
	}
	r3 := mustOpen(t, dir, registry.Options{})
	m, _ := r3.Get(ctx, "m")
	if vl := m.VersionLock(); vl.ExpectedAggregateSHA256 != hashA || !reflect.DeepEqual(vl.ExpectedFiles, files) {
		t.Errorf("after save: %+v, want expected %q and files %+v", vl, hashA, files)
	}
	if res, err := r2.SaveWithResult(ctx); err != nil || !res.KeptFor("m") {
		t.Errorf("SaveWithResult after a concurrent pin = %+v, %v, want m kept", res, err)
	}
	update(t, r3, "m", func(ed *registry.Edit) error {
		if ok, err := ed.SetExpectedHash(hashB, hashA); ok || err != nil {
			t.Errorf("SetExpectedHash(%q seen, stored %q) = %v, %v, want false, nil", hashB, hashA, ok, err)
		}
		if ok, err := ed.SetExpectedHash(hashA, hashB); !ok || err != nil {
			t.Errorf("SetExpectedHash(%q seen and stored) = %v, %v, want true, nil", hashA, ok, err)
		}
		return nil
	})
}
