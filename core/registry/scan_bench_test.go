package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// BenchmarkScan measures the validating scanner alone on the discovered
// layer of a 5,000-entry registry (about 42 MB).
func BenchmarkScan(b *testing.B) {
	dir := b.TempDir()
	if err := registrytest.WriteScaled(dir, 5000); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, DiscoveredFile))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := scanRecords(data); err != nil {
			b.Fatal(err)
		}
	}
}
