package artifact

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Benchmark sizes come from the environment so that a default run stays
// tiny; the figures use
//
//	IMAGEWORKS_BENCH_SHARD_MB=160 IMAGEWORKS_BENCH_SINGLE_MB=400 \
//	  go test -run '^$' -bench . -benchtime 5x ./core/artifact
//
// IMAGEWORKS_BENCH_DIR keeps the fixtures between runs (default: a fresh
// temporary folder per benchmark).
func benchEnv(b *testing.B, key string, def int) int {
	b.Helper()
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a non-negative integer", key, v)
	}
	return n
}

// benchFixture returns a folder holding n files of mb MiB of random bytes,
// written once (and so in the page cache).
func benchFixture(b *testing.B, n, mb int) string {
	b.Helper()
	base := os.Getenv("IMAGEWORKS_BENCH_DIR")
	if base == "" {
		base = b.TempDir()
	}
	dir := filepath.Join(base, fmt.Sprintf("%dx%dMiB", n, mb))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, n))
		if fi, err := os.Stat(p); err == nil && fi.Size() == int64(mb)<<20 {
			continue
		}
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		for range mb {
			rng.Read(buf)
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}

func benchCollect(b *testing.B, n, mb int) {
	dir := benchFixture(b, n, mb)
	b.SetBytes(int64(n) * int64(mb) << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Collect(context.Background(), Source{ModelPath: dir}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSequential is the reference's way in Go: one file after another,
// 1 MiB reads, one goroutine. Collect must beat it on shards and match it
// on one file.
func benchSequential(b *testing.B, n, mb int) {
	dir := benchFixture(b, n, mb)
	b.SetBytes(int64(n) * int64(mb) << 20)
	buf := make([]byte, 1<<20)
	for b.Loop() {
		entries, err := os.ReadDir(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range entries {
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				b.Fatal(err)
			}
			h := sha256.New()
			if _, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	}
}

func BenchmarkCollectShards(b *testing.B) {
	benchCollect(b, benchEnv(b, "IMAGEWORKS_BENCH_SHARDS", 4), benchEnv(b, "IMAGEWORKS_BENCH_SHARD_MB", 1))
}

func BenchmarkCollectSingle(b *testing.B) {
	benchCollect(b, 1, benchEnv(b, "IMAGEWORKS_BENCH_SINGLE_MB", 4))
}

func BenchmarkSequentialShards(b *testing.B) {
	benchSequential(b, benchEnv(b, "IMAGEWORKS_BENCH_SHARDS", 4), benchEnv(b, "IMAGEWORKS_BENCH_SHARD_MB", 1))
}

func BenchmarkSequentialSingle(b *testing.B) {
	benchSequential(b, 1, benchEnv(b, "IMAGEWORKS_BENCH_SINGLE_MB", 4))
}
