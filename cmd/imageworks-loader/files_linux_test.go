//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

// splitKillEnv names the split step before which iwl-split-crash kills
// itself.
const splitKillEnv = "IWL_SPLIT_KILL_AT"

// splitCrash is the iwl-split-crash command: it opens the registry folder
// in os.Args[1] as the CLI does (registry.Open splits a legacy file), and
// SIGKILLs itself just before the step $IWL_SPLIT_KILL_AT.
func splitCrash() {
	at := registry.SplitStep(os.Getenv(splitKillEnv))
	_, err := registry.Open(context.Background(), os.Args[1], registry.Options{OnSplitStep: func(s registry.SplitStep) {
		if s == at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runSplitCrash runs iwl-split-crash on dir and checks it died by SIGKILL.
func runSplitCrash(t *testing.T, dir string, at registry.SplitStep) {
	t.Helper()
	cmd := exec.Command("iwl-split-crash", dir)
	cmd.Env = append(os.Environ(), splitKillEnv+"="+string(at))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("iwl-split-crash at %s = %v, want killed by SIGKILL\n%s", at, err, out)
	}
}

// listAll runs the CLI's list --all on dir and returns the entry count.
func listAll(t *testing.T, dir string) (int, []byte, error) {
	t.Helper()
	cmd := exec.Command("imageworks-loader", "--registry-dir", dir, "list", "--all")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, []byte(stderr.String()), err
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("list output is not JSON: %v\n%s", err, out)
	}
	return len(rows), []byte(stderr.String()), nil
}

// TestKilledSplitLosesNothing: a legacy split SIGKILLed before any of its
// steps leaves a folder on which the next CLI run shows every entry.
func TestKilledSplitLosesNothing(t *testing.T) {
	for _, at := range registry.SplitSteps() {
		t.Run(string(at), func(t *testing.T) {
			dir := t.TempDir()
			registrytest.CopyLegacy(t, dir)
			runSplitCrash(t, dir, at)
			n, stderr, err := listAll(t, dir)
			if err != nil || n != 31 {
				t.Fatalf("list after a kill before %s = %d entries, %v, want 31\n%s", at, n, err, stderr)
			}
			if _, err := os.Lstat(filepath.Join(dir, registry.SplitMarkerFile)); !os.IsNotExist(err) {
				t.Errorf("the split marker outlived the next run")
			}
			if n, _, err := listAll(t, dir); err != nil || n != 31 {
				t.Errorf("second list = %d entries, %v, want 31", n, err)
			}
		})
	}
}

// TestKilledSplitWithoutOriginalRefuses: when the original is gone too,
// the next run refuses with how to recover (exit 1), instead of showing
// fewer entries, and following the advice recovers every entry.
func TestKilledSplitWithoutOriginalRefuses(t *testing.T) {
	dir := t.TempDir()
	registrytest.CopyLegacy(t, dir)
	runSplitCrash(t, dir, registry.SplitRemoveMarker) // the legacy file is gone
	if err := os.Remove(filepath.Join(dir, registry.BackupFile)); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := listAll(t, dir)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(stderr), "restore the original") {
		t.Fatalf("list with the split unfinishable = %v, want exit 1 saying how to recover\n%s", err, stderr)
	}
	legacy := registrytest.ReadCorpusFile(t, registrytest.LegacyFile)
	if err := os.WriteFile(filepath.Join(dir, registry.SnapshotFile), legacy, 0o644); err != nil {
		t.Fatal(err)
	}
	if n, stderr, err := listAll(t, dir); err != nil || n != 31 {
		t.Fatalf("list after restoring the original = %d, %v, want 31\n%s", n, err, stderr)
	}
}

// TestFIFOAnywhereFailsFast: a FIFO in place of any file the CLI opens by
// name ends it with exit 1 and an error naming the file, instead of
// hanging.
func TestFIFOAnywhereFailsFast(t *testing.T) {
	layers := func(t *testing.T, dir string) {
		write(t, filepath.Join(dir, registry.CuratedFile), `[{"name": "m", "backend": "vllm", "capabilities": {"vision": true}}]`)
		write(t, filepath.Join(dir, registry.DiscoveredFile), `[]`)
	}
	for _, tc := range []struct {
		name  string
		fifo  string // relative to the registry folder
		setup func(t *testing.T, dir string)
		args  []string
	}{
		{"curated", registry.CuratedFile, func(t *testing.T, dir string) { write(t, filepath.Join(dir, registry.DiscoveredFile), `[]`) }, []string{"list"}},
		{"discovered", registry.DiscoveredFile, layers, []string{"list"}},
		{"legacy", registry.SnapshotFile, func(*testing.T, string) {}, []string{"list"}},
		{"split marker", registry.SplitMarkerFile, layers, []string{"list"}},
		{"registry lock", registry.FlockFile, layers, []string{"lock", "m"}},
		{"plugin lock", "plugins.lock.json", layers, []string{"select", "m"}},
		{"probe image", "image.png", layers, []string{"probe-vision", "m", "IMAGE"}},
		{"single file", "single.json", func(*testing.T, string) {}, []string{"--registry-file", "SINGLE", "list"}},
		{"validate", registry.DiscoveredFile, layers, []string{"validate"}},
		{"serve token file", "token", layers, []string{"serve", "--listen", "127.0.0.1:0", "--token-file", "OTHER"}},
		{"active state file", "active.json", layers, []string{"current", "--state-file", "OTHER"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			fifo := filepath.Join(dir, tc.fifo)
			safefiletest.MkFIFO(t, fifo)
			args := []string{"--registry-dir", dir}
			for _, a := range tc.args {
				args = append(args, strings.NewReplacer("IMAGE", fifo, "SINGLE", fifo, "OTHER", fifo).Replace(a))
			}
			// A hang is what is tested against: the deadline only bounds it.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			out, err := exec.CommandContext(ctx, "imageworks-loader", args...).CombinedOutput()
			took := time.Since(start)
			var ee *exec.ExitError
			if ctx.Err() != nil || !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("imageworks-loader %s with a FIFO = %v after %v, want exit 1\n%s", strings.Join(tc.args, " "), err, took, out)
			}
			if !strings.Contains(string(out), fifo) || !strings.Contains(string(out), "FIFO") {
				t.Errorf("output %q does not name the FIFO %s", out, fifo)
			}
			t.Logf("%s: exit 1 after %v", tc.name, took.Round(time.Millisecond))
		})
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
