//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Whole-process benchmarks: each op is one run of a real process, so they
// include process start, registry load and, for select, a plugin's start.
// The Python baselines run in the same benchmark run for comparison:
//
//	go test -run '^$' -bench Process ./cmd/imageworks-loader
//
// Each reports the largest peak resident set of its runs as MB-peak-rss.

// loaderExe is the CLI the benchmarks run: IMAGEWORKS_BENCH_BIN's
// imageworks-loader when set (make bench sets it to bin/: what ships, with
// the plugins beside it), else this test binary as imageworks-loader. The
// test binary links more than the CLI does (the embedded etcd server the
// fleet scripts use, etcd's client): its start is some milliseconds slower.
func loaderExe() string {
	if dir := os.Getenv("IMAGEWORKS_BENCH_BIN"); dir != "" {
		return filepath.Join(dir, "imageworks-loader")
	}
	return "imageworks-loader"
}

// benchRegistry writes a registry of n entries shaped like the corpus and
// returns its folder and the curated entries' names.
func benchRegistry(b *testing.B, n int) (string, []string) {
	b.Helper()
	dir := b.TempDir()
	if out, err := exec.Command("iwl-mkregistry", dir, strconv.Itoa(n)).CombinedOutput(); err != nil {
		b.Fatalf("iwl-mkregistry: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "names.txt"))
	if err != nil {
		b.Fatal(err)
	}
	// One load regenerates the stale snapshot, as the first real use would.
	if out, err := exec.Command(loaderExe(), "--registry-dir", dir, "list").CombinedOutput(); err != nil {
		b.Fatalf("first load: %v\n%s", err, out)
	}
	return dir, strings.Fields(string(data))
}

// runProcess runs argv once and returns its peak RSS in bytes.
func runProcess(b *testing.B, argv ...string) int64 {
	b.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = nil
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		b.Fatalf("%s: %v\n%s%s", strings.Join(argv, " "), err, out, stderr)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// benchProcess times argv as a whole process per op.
//
// On Linux a child's peak RSS starts from its parent's peak (os/exec
// clones the parent's address space before exec), so the figure is an
// upper bound, exact whenever the child grows past this small process.
func benchProcess(b *testing.B, argv func(i int) []string) {
	b.Helper()
	var peak int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rss := runProcess(b, argv(i)...); rss > peak {
			peak = rss
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-rss")
}

// python returns the real interpreter (not a version manager's shell
// shim, whose own start would flatter us), or skips when there is none.
func python(b *testing.B) string {
	b.Helper()
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		b.Skip("no python3 on this machine for the baseline")
	}
	return strings.TrimSpace(string(out))
}

func BenchmarkProcess(b *testing.B) {
	const n = 5000
	big, names := benchRegistry(b, n)
	corpus := b.TempDir()
	for _, f := range []string{"model_registry.curated.json", "model_registry.discovered.json"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, f))
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(corpus, f), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	runProcess(b, loaderExe(), "--registry-dir", corpus, "list")

	b.Run("ListAll5000", func(b *testing.B) {
		benchProcess(b, func(int) []string {
			return []string{loaderExe(), "--registry-dir", big, "list", "--all"}
		})
	})
	next := 0 // survives -count and the b.N ramp, so no op repeats one
	b.Run("LockOne5000", func(b *testing.B) {
		// Each op locks another entry (unlocking on the second pass), so
		// every op really changes one entry and saves.
		benchProcess(b, func(int) []string {
			i := next
			next++
			verb := "lock"
			if (i/len(names))%2 == 1 {
				verb = "unlock"
			}
			return []string{loaderExe(), "--registry-dir", big, verb, names[i%len(names)]}
		})
	})
	b.Run("PythonJSONLoad5000", func(b *testing.B) {
		py := python(b)
		script := "import json,sys\nfor p in sys.argv[1:]:\n    json.load(open(p, encoding='utf-8'))"
		benchProcess(b, func(int) []string {
			return []string{py, "-c", script,
				filepath.Join(big, "model_registry.curated.json"), filepath.Join(big, "model_registry.discovered.json")}
		})
	})
	b.Run("ListCorpus", func(b *testing.B) {
		benchProcess(b, func(int) []string {
			return []string{loaderExe(), "--registry-dir", corpus, "list"}
		})
	})
	b.Run("SelectCorpusWithPlugin", func(b *testing.B) {
		benchProcess(b, func(int) []string {
			return []string{loaderExe(), "--registry-dir", corpus, "select", "gpt-oss-20b_(MXFP4)"}
		})
	})
	b.Run("PythonStart", func(b *testing.B) {
		py := python(b)
		benchProcess(b, func(int) []string { return []string{py, "-c", "import json"} })
	})
}
