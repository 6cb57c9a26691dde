package registry_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// scaledDir writes a registry of n entries with a fresh snapshot.
func scaledDir(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	if err := registrytest.WriteScaled(dir, n); err != nil {
		b.Fatal(err)
	}
	if _, err := registry.Open(context.Background(), dir, registry.Options{}); err != nil {
		b.Fatal(err)
	}
	return dir
}

// listRows reads what `list --all` shows of every entry.
func listRows(r *registry.Registry) int {
	n := 0
	for _, e := range r.Entries(context.Background()) {
		_ = e.Backend()
		_ = e.VersionLock().Locked
		_ = e.Capabilities()["vision"]
		_ = e.Roles()
		_ = e.AggregateSHA256()
		_ = e.Deprecated()
		n++
	}
	return n
}

// BenchmarkOpen loads a registry with a fresh snapshot and reads every
// entry's list row.
func BenchmarkOpen(b *testing.B) {
	for _, n := range []int{16, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := scaledDir(b, n)
			b.ReportAllocs()
			for b.Loop() {
				r, err := registry.Open(context.Background(), dir, registry.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if got := listRows(r); got != n {
					b.Fatalf("listRows = %d, want %d", got, n)
				}
			}
		})
	}
}

// BenchmarkOpenUpdateSave loads, toggles one entry's lock and saves
// (discovered layer and snapshot written).
func BenchmarkOpenUpdateSave(b *testing.B) {
	for _, n := range []int{16, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := scaledDir(b, n)
			ctx := context.Background()
			name := "gpt-oss-20b_(MXFP4)#0001"
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r, err := registry.Open(ctx, dir, registry.Options{})
				if err != nil {
					b.Fatal(err)
				}
				i++
				if err := r.Update(context.Background(), name, func(ed *registry.Edit) error {
					return ed.Set(i%2 == 1, "version_lock", "locked")
				}); err != nil {
					b.Fatal(err)
				}
				if err := r.Save(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeV1 is the baseline the design avoids: encoding/json v1
// decoding both layers of the 5,000-entry registry into maps.
func BenchmarkDecodeV1(b *testing.B) {
	dir := b.TempDir()
	if err := registrytest.WriteScaled(dir, 5000); err != nil {
		b.Fatal(err)
	}
	var files [][]byte
	for _, f := range []string{registry.CuratedFile, registry.DiscoveredFile} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	for b.Loop() {
		for _, data := range files {
			var recs []map[string]any
			if err := json.Unmarshal(data, &recs); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGetByAlias opens a 5000-entry registry and looks one entry up by
// an alias: the first lookup that misses every name builds the alias index.
func BenchmarkGetByAlias(b *testing.B) {
	dir := scaledDir(b, 5000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := registry.Open(ctx, dir, registry.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if e, err := r.Get(ctx, "openai/gpt-oss-20b#0200"); err != nil || e.Name() != "gpt-oss-20b_(MXFP4)#0200" {
			b.Fatalf("Get(alias) = %v, %v", e, err)
		}
	}
}
