package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// cli runs the CLI binary (installed on PATH by testscript.Main) and
// returns its combined output.
func cli(t *testing.T, args ...string) ([]byte, error) {
	t.Helper()
	return exec.Command("imageworks-loader", args...).CombinedOutput()
}

// entryNames returns the names in a registry layer file.
func entryNames(t testing.TB, path string) []string {
	t.Helper()
	var recs []struct {
		Name string `json:"name"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.Name
	}
	return names
}

// TestConcurrentLockProcesses: two processes locking 20 different entries
// each at the same moment keep all 40 locks.
func TestConcurrentLockProcesses(t *testing.T) {
	dir := t.TempDir()
	if err := registrytest.WriteScaled(dir, 48); err != nil {
		t.Fatal(err)
	}
	out, err := cli(t, "--registry-dir", dir, "list", "--all")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	var rows []struct {
		Name   string `json:"name"`
		Locked bool   `json:"locked"`
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rows {
		if !r.Locked {
			names = append(names, r.Name)
		}
	}
	if len(names) < 40 {
		t.Fatalf("only %d unlocked entries to lock", len(names))
	}
	names = names[:40]
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func(part []string) {
			defer wg.Done()
			for _, n := range part {
				if out, err := cli(t, "--registry-dir", dir, "lock", n); err != nil {
					errs <- fmt.Errorf("lock %q: %v\n%s", n, err, out)
				}
			}
		}(names[p*20 : p*20+20])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	out, err = cli(t, "--registry-dir", dir, "list", "--all")
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	locked := map[string]bool{}
	for _, r := range rows {
		locked[r.Name] = r.Locked
	}
	for _, n := range names {
		if !locked[n] {
			t.Errorf("entry %q lost its lock", n)
		}
	}
}

// TestKilledSaveLeavesParsableFiles: a process killed with SIGKILL at a
// random moment during a save leaves files that parse.
func TestKilledSaveLeavesParsableFiles(t *testing.T) {
	dir := t.TempDir()
	if err := registrytest.WriteScaled(dir, 400); err != nil {
		t.Fatal(err)
	}
	names := entryNames(t, filepath.Join(dir, "model_registry.curated.json"))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 12; i++ {
		cmd := exec.Command("imageworks-loader", "--registry-dir", dir, "lock", names[i])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		for _, f := range []string{"model_registry.curated.json", "model_registry.discovered.json", "model_registry.json"} {
			path := filepath.Join(dir, f)
			if _, err := os.Stat(path); os.IsNotExist(err) && f == "model_registry.json" {
				continue
			}
			entryNames(t, path)
		}
	}
	if out, err := cli(t, "--registry-dir", dir, "validate"); err != nil {
		t.Fatalf("validate after kills: %v\n%s", err, out)
	}
}

// TestInterruptStopsHashing: SIGINT during verify stops hashing promptly,
// exits 130 and saves nothing.
func TestInterruptStopsHashing(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	// A sparse 8 GiB shard: hashing it whole takes seconds, creating it none.
	f, err := os.Create(filepath.Join(model, "weights.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(8 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	curated := `[{"name": "big", "backend": "vllm", "backend_config": {"model_path": "model"}}]` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("imageworks-loader", "--registry-dir", dir, "verify", "big")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("verify after SIGINT = %v, want exit status 130", err)
	}
	if took > 2*time.Second {
		t.Errorf("verify took %v to stop after SIGINT, want well under 2s", took)
	}
	if _, err := os.Stat(filepath.Join(dir, "model_registry.discovered.json")); !os.IsNotExist(err) {
		t.Errorf("an interrupted verify wrote the discovered layer (stat: %v)", err)
	}
}
