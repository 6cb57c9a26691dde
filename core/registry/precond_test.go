package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

const hashA, hashB = "aaaa", "bbbb"

// twoWriters opens the same registry twice, as two processes would.
func twoWriters(t *testing.T) (dir string, r1, r2 *registry.Registry) {
	t.Helper()
	dir = t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "m", "backend": "vllm"}, {"name": "n", "backend": "vllm"}]`)
	return dir, mustOpen(t, dir, registry.Options{}), mustOpen(t, dir, registry.Options{})
}

func update(t *testing.T, r *registry.Registry, name string, fn func(*registry.Edit) error) {
	t.Helper()
	if err := r.Update(context.Background(), name, fn); err != nil {
		t.Fatalf("Update(%q) error = %v", name, err)
	}
}

// TestSetExpectedHashIfAbsentKeepsConcurrentPin: an expected hash stored by
// another writer after this one staged its "set only if absent" edit is
// kept at save; the dropped Update's other edits go with it, other Updates
// are saved, and the result says which was kept.
func TestSetExpectedHashIfAbsentKeepsConcurrentPin(t *testing.T) {
	ctx := context.Background()
	dir, r1, r2 := twoWriters(t)
	update(t, r1, "m", func(ed *registry.Edit) error {
		ok, err := ed.SetExpectedHashIfAbsent(hashA)
		if !ok || err != nil {
			t.Errorf("SetExpectedHashIfAbsent(%q) on an entry without one = %v, %v, want true, nil", hashA, ok, err)
		}
		return ed.Set("2026-01-01T00:00:00Z", "version_lock", "last_verified")
	})
	update(t, r1, "n", func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") })
	update(t, r2, "m", func(ed *registry.Edit) error {
		_, err := ed.SetExpectedHashIfAbsent(hashB)
		return err
	})
	if res, err := r2.SaveWithResult(ctx); err != nil || len(res.Kept) != 0 {
		t.Fatalf("first SaveWithResult = %+v, %v, want nothing kept, nil", res, err)
	}
	res, err := r1.SaveWithResult(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := registry.KeptEdit{Entry: "m", Field: "version_lock.expected_aggregate_sha256"}
	if len(res.Kept) != 1 || res.Kept[0] != want || !res.KeptFor("m") || res.KeptFor("n") {
		t.Errorf("second SaveWithResult().Kept = %+v, want [%+v]", res.Kept, want)
	}
	r3 := mustOpen(t, dir, registry.Options{})
	m, _ := r3.Get(ctx, "m")
	n, _ := r3.Get(ctx, "n")
	if vl := m.VersionLock(); vl.ExpectedAggregateSHA256 != hashB || vl.LastVerified != "" {
		t.Errorf("after both saves m's version_lock = %+v, want the concurrent pin %q kept and no last_verified", vl, hashB)
	}
	if !n.VersionLock().Locked {
		t.Errorf("the Update of n, with no precondition, was not saved")
	}
}

// TestSetExpectedHashIfAbsentNow: with an expected hash already stored the
// edit sets nothing and the whole Update stages nothing.
func TestSetExpectedHashIfAbsentNow(t *testing.T) {
	ctx := context.Background()
	_, r1, _ := twoWriters(t)
	update(t, r1, "m", func(ed *registry.Edit) error { return ed.Set(hashB, "version_lock", "expected_aggregate_sha256") })
	update(t, r1, "m", func(ed *registry.Edit) error {
		if ok, err := ed.SetExpectedHashIfAbsent(hashA); ok || err != nil {
			t.Errorf("SetExpectedHashIfAbsent with %q stored = %v, %v, want false, nil", hashB, ok, err)
		}
		return ed.Set(true, "version_lock", "locked")
	})
	m, _ := r1.Get(ctx, "m")
	if vl := m.VersionLock(); vl.ExpectedAggregateSHA256 != hashB || vl.Locked {
		t.Errorf("version_lock = %+v, want %q kept and the dropped Update's lock not staged", vl, hashB)
	}
}

// TestReplaceExpectedHash replaces only while the stored value is the old
// one, at edit time and again at save.
func TestReplaceExpectedHash(t *testing.T) {
	ctx := context.Background()
	dir, r1, r2 := twoWriters(t)
	for _, r := range []*registry.Registry{r1, r2} {
		if err := r.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	update(t, r1, "m", func(ed *registry.Edit) error { return ed.Set(hashA, "version_lock", "expected_aggregate_sha256") })
	if err := r1.Save(ctx); err != nil {
		t.Fatal(err)
	}
	update(t, r1, "m", func(ed *registry.Edit) error {
		ok, err := ed.ReplaceExpectedHash(hashA, "cccc")
		if !ok || err != nil {
			t.Errorf("ReplaceExpectedHash(%q, ...) with %q stored = %v, %v, want true, nil", hashA, hashA, ok, err)
		}
		return err
	})
	update(t, r2, "m", func(ed *registry.Edit) error { return ed.Set(hashB, "version_lock", "expected_aggregate_sha256") })
	if err := r2.Save(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := r1.SaveWithResult(ctx)
	if err != nil || !res.KeptFor("m") {
		t.Fatalf("SaveWithResult after a concurrent change = %+v, %v, want m kept", res, err)
	}
	data := string(readFile(t, path(dir, registry.DiscoveredFile)))
	if !strings.Contains(data, hashB) || strings.Contains(data, "cccc") {
		t.Errorf("discovered layer = %s, want %q kept, never the replacement", data, hashB)
	}
	update(t, r1, "m", func(ed *registry.Edit) error {
		if ok, err := ed.ReplaceExpectedHash(hashA, "cccc"); ok || err != nil {
			t.Errorf("ReplaceExpectedHash(%q, ...) with %q stored = %v, %v, want false, nil", hashA, hashB, ok, err)
		}
		return nil
	})
}

// TestAddOfNameStoredMeanwhileIsKept: an entry added by another writer
// after this one staged an Add of the same name is kept whole; the rest of
// this save goes through and the result names the entry.
func TestAddOfNameStoredMeanwhileIsKept(t *testing.T) {
	ctx := context.Background()
	dir, r1, r2 := twoWriters(t)
	if err := r1.Add(ctx, []byte(`{"name": "x", "backend": "one"}`)); err != nil {
		t.Fatal(err)
	}
	if err := r1.Add(ctx, []byte(`{"name": "y", "backend": "one"}`)); err != nil {
		t.Fatal(err)
	}
	if err := r2.Add(ctx, []byte(`{"name": "x", "backend": "two"}`)); err != nil {
		t.Fatal(err)
	}
	if err := r2.Save(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := r1.SaveWithResult(ctx)
	if err != nil || len(res.Kept) != 1 || res.Kept[0] != (registry.KeptEdit{Entry: "x"}) {
		t.Fatalf("SaveWithResult() = %+v, %v, want x kept", res, err)
	}
	r3 := mustOpen(t, dir, registry.Options{})
	x, _ := r3.Get(ctx, "x")
	if _, err := r3.Get(ctx, "y"); err != nil || x.Backend() != "two" {
		t.Errorf("after both saves x has backend %q (want the stored %q) and y: %v", x.Backend(), "two", err)
	}
}
