//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
	"github.com/imageworks-ai/loader/internal/standin"
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
	// Signal only once hashing has begun (the shard is open), so the
	// handler is surely installed whatever the machine's load.
	if !waitOpen(cmd.Process.Pid, filepath.Join(model, "weights.bin"), 10*time.Second) {
		_ = cmd.Process.Kill()
		t.Fatal("verify never opened the shard")
	}
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

// processes lists the live processes for which keep, given the process's
// /proc folder, is true.
func processes(keep func(procDir string) bool) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err == nil && keep(filepath.Join("/proc", d.Name())) {
			out = append(out, pid)
		}
	}
	return out
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	return processes(func(dir string) bool {
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			return false
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			return false
		}
		f := strings.Fields(s[i+1:])
		return len(f) > 1 && f[1] == strconv.Itoa(pid)
	})
}

// TestSignalKillsPlugins: every signal that ends the CLI (short of
// SIGKILL), arriving while a plugin call is in flight, ends it promptly and
// runs the same cleanup: no plugin process and no imageworks-plugins-*
// folder outlive it.
func TestSignalKillsPlugins(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp, cli, plugins := probeInFlight(t)
			start := time.Now()
			if err := cli.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cli.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("probe-vision after %v = %v, want exit status 130", sig, err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("probe-vision took %v to end after %v", took, sig)
			}
			checkCleanedUp(t, tmp, plugins)
		})
	}
}

// TestBrokenPipeCleansUp: `imageworks-loader backends | head -1` where
// head has gone: the write fails, and the CLI ends quietly with status 141
// (128 + SIGPIPE) after the same cleanup as for any signal.
func TestBrokenPipeCleansUp(t *testing.T) {
	dir := t.TempDir()
	tmp := shortTemp(t)
	url := startStandin(t, dir, "--models", "qwen-vl")
	writeVLRegistry(t, dir, url)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // the reader is gone before anything is written
	var stderr strings.Builder
	cli := exec.Command("imageworks-loader", "--registry-dir", dir, "backends")
	cli.Env = append(os.Environ(), "TMPDIR="+tmp)
	cli.Stdout, cli.Stderr = w, &stderr
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	err = cli.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 141 || stderr.Len() != 0 {
		t.Errorf("backends into a closed pipe = %v (stderr %q), want exit status 141 and nothing on stderr", err, stderr.String())
	}
	checkCleanedUp(t, tmp, nil)
}

// startStandin starts a vLLM stand-in with args and returns its URL.
func startStandin(t *testing.T, dir string, args ...string) string {
	t.Helper()
	urlFile := filepath.Join(dir, "url")
	srv := exec.Command("standin", append([]string{"vllm", "--url-file", urlFile}, args...)...)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	url, err := standin.WaitForFile(context.Background(), urlFile, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// writeVLRegistry writes a registry of one vision entry, vl, served at url.
func writeVLRegistry(t *testing.T, dir, url string) {
	t.Helper()
	reg := fmt.Sprintf(`[{"name": "vl", "backend": "vllm", "backend_config": {"base_url": %q}, "capabilities": {"vision": true}}]`, url+"/v1")
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// probeInFlight starts probe-vision against a server that never answers,
// with a private TMPDIR, and returns once the request is in flight in the
// plugin: the TMPDIR, the CLI and its plugin processes.
func probeInFlight(t *testing.T) (tmp string, cli *exec.Cmd, plugins []int) {
	t.Helper()
	dir := t.TempDir()
	tmp = shortTemp(t)
	reqFile := filepath.Join(dir, "requests")
	url := startStandin(t, dir, "--models", "qwen-vl", "--vision", "qwen-vl",
		"--fail", "slow", "--fail-path", "/v1/chat/completions", "--delay", "30s", "--requests-file", reqFile)
	writeVLRegistry(t, dir, url)
	cli = exec.Command("imageworks-loader", "--registry-dir", dir, "probe-vision", "vl")
	cli.Env = append(os.Environ(), "TMPDIR="+tmp)
	if err := cli.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(plugins) == 0 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		plugins = childrenOf(cli.Process.Pid)
	}
	if len(plugins) == 0 {
		_ = cli.Process.Kill()
		t.Fatal("no plugin process started")
	}
	// Wait until the probe's request has reached the slow server: the call
	// is then in flight in the plugin.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if data, _ := os.ReadFile(reqFile); strings.Contains(string(data), "/v1/chat/completions") {
			break
		}
		if time.Now().After(deadline) {
			_ = cli.Process.Kill()
			t.Fatal("the probe never reached the server")
		}
	}
	return tmp, cli, plugins
}

// shortTemp returns a new folder for the CLI's TMPDIR, short enough that
// the plugin host puts its socket folder there.
func shortTemp(t *testing.T) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "iwl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	return tmp
}

// withTMPDIR lists the live processes whose environment has TMPDIR=tmp:
// the plugins of a CLI given that TMPDIR (it is on their allow-list).
func withTMPDIR(tmp string) []int {
	return processes(func(dir string) bool {
		env, err := os.ReadFile(filepath.Join(dir, "environ"))
		return err == nil && strings.Contains("\x00"+string(env)+"\x00", "\x00TMPDIR="+tmp+"\x00")
	})
}

// checkCleanedUp fails unless every plugin process (those given and any
// with TMPDIR=tmp) is gone within 2 s and tmp holds no
// imageworks-plugins-* folder.
func checkCleanedUp(t *testing.T, tmp string, plugins []int) {
	t.Helper()
	for _, pid := range append(plugins, withTMPDIR(tmp)...) {
		for deadline := time.Now().Add(2 * time.Second); alive(pid); {
			if time.Now().After(deadline) {
				t.Fatalf("plugin process %d outlived the CLI", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "imageworks-plugins-*")); len(left) > 0 {
		t.Errorf("the CLI left %q behind", left)
	}
}

// waitOpen waits until process pid has path open, reading /proc/PID/fd.
func waitOpen(pid int, path string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			if target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name())); err == nil && target == path {
				return true
			}
		}
	}
	return false
}

// TestConcurrentPinKeptDuringSlowLock: while one `lock --set-expected` is
// hashing a big file, another process pins a different expected hash; the
// slow lock keeps that pin at save and says so. The slow process is held
// with SIGSTOP while the other runs, so the order is certain.
func TestConcurrentPinKeptDuringSlowLock(t *testing.T) {
	reg := t.TempDir()
	curated := `[{"name": "m", "backend": "vllm", "backend_config": {"model_path": "~/model"}}]` + "\n"
	if err := os.WriteFile(filepath.Join(reg, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	// The same entry hashes differently under two homes: a sparse 256 MiB
	// shard for the slow process, one small file for the quick one.
	slowHome, quickHome := t.TempDir(), t.TempDir()
	for _, d := range []string{slowHome, quickHome} {
		if err := os.Mkdir(filepath.Join(d, "model"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	shard := filepath.Join(slowHome, "model", "weights.bin")
	f, err := os.Create(shard)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(256 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.WriteFile(filepath.Join(quickHome, "model", "weights.bin"), []byte("quick"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock := func(home string) *exec.Cmd {
		cmd := exec.Command("imageworks-loader", "--registry-dir", reg, "lock", "m", "--set-expected")
		cmd.Env = append(os.Environ(), "HOME="+home)
		return cmd
	}
	slow := lock(slowHome)
	var slowOut, slowErr strings.Builder
	slow.Stdout, slow.Stderr = &slowOut, &slowErr
	if err := slow.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitOpen(slow.Process.Pid, shard, 10*time.Second) {
		_ = slow.Process.Kill()
		t.Fatal("the slow lock never opened its shard")
	}
	if err := slow.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	out, err := lock(quickHome).Output()
	_ = slow.Process.Signal(syscall.SIGCONT)
	if err != nil {
		_ = slow.Process.Kill()
		t.Fatalf("the concurrent pin: %v\n%s", err, out)
	}
	var pin struct {
		Expected string `json:"expected_aggregate_sha256"`
	}
	if err := json.Unmarshal(out, &pin); err != nil || pin.Expected == "" {
		t.Fatalf("the concurrent pin printed %s (%v)", out, err)
	}
	if err := slow.Wait(); err != nil {
		t.Fatalf("the slow lock: %v\n%s%s", err, slowOut.String(), slowErr.String())
	}
	var st struct {
		Expected string `json:"expected_aggregate_sha256"`
		Kept     bool   `json:"kept_expected"`
		Locked   bool   `json:"locked"`
	}
	if err := json.Unmarshal([]byte(slowOut.String()), &st); err != nil {
		t.Fatalf("the slow lock printed %s (%v)", slowOut.String(), err)
	}
	if !st.Kept || st.Expected != pin.Expected || !st.Locked {
		t.Errorf("the slow lock reported %+v, want locked, kept_expected and the concurrent pin %s", st, pin.Expected)
	}
	if !strings.Contains(slowErr.String(), "kept") {
		t.Errorf("the slow lock's stderr %q does not say the stored hash was kept", slowErr.String())
	}
	data, err := os.ReadFile(filepath.Join(reg, "model_registry.discovered.json"))
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		VersionLock struct {
			Expected string `json:"expected_aggregate_sha256"`
		} `json:"version_lock"`
	}
	if err := json.Unmarshal(data, &recs); err != nil || len(recs) != 1 || recs[0].VersionLock.Expected != pin.Expected {
		t.Errorf("stored after both locks: %s, want the concurrent pin %s kept", data, pin.Expected)
	}
}
