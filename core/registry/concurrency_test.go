package registry_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// The test binary doubles as a second process: with REGISTRY_TEST_HELPER
// set it runs a helper instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("REGISTRY_TEST_HELPER") {
	case "":
		os.Exit(m.Run())
	case "lock":
		os.Exit(helperLock(os.Getenv("REGISTRY_TEST_DIR"), strings.Split(os.Getenv("REGISTRY_TEST_NAMES"), ",")))
	case "remove":
		os.Exit(helperRemove(os.Getenv("REGISTRY_TEST_DIR"), strings.Split(os.Getenv("REGISTRY_TEST_NAMES"), ",")))
	case "churn":
		os.Exit(helperChurn(os.Getenv("REGISTRY_TEST_DIR")))
	}
	os.Exit(2)
}

// helperLock locks each named entry with its own save.
func helperLock(dir string, names []string) int {
	ctx := context.Background()
	r, err := registry.Open(ctx, dir, registry.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, n := range names {
		if err := r.Update(context.Background(), n, func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") }); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := r.Save(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// helperChurn saves forever, until killed.
func helperChurn(dir string) int {
	ctx := context.Background()
	r, err := registry.Open(ctx, dir, registry.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	es := r.Entries(context.Background())
	for i := 0; ; i++ {
		e := es[i%len(es)]
		if err := r.Update(context.Background(), e.Name(), func(ed *registry.Edit) error {
			return ed.Set(map[string]any{"n": i, "pad": strings.Repeat("x", i%97)}, "performance", "last_sample")
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := r.Save(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i == 0 {
			fmt.Println("saved") // the test times its kill from here
		}
	}
}

func scaledNames(t *testing.T, dir string, n int) []string {
	t.Helper()
	if err := registrytest.WriteScaled(dir, n); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range mustOpen(t, dir, registry.Options{}).Entries(context.Background()) {
		names = append(names, e.Name())
	}
	return names
}

func checkAllLocked(t *testing.T, dir string, names []string) {
	t.Helper()
	r := mustOpen(t, dir, registry.Options{})
	for _, n := range names {
		e, err := r.Get(context.Background(), n)
		if err != nil || !e.VersionLock().Locked {
			t.Errorf("entry %q not locked after the concurrent saves (%v)", n, err)
		}
	}
	snap := decodeByName(t, readFile(t, path(dir, registry.SnapshotFile)))
	for _, n := range names {
		rec, _ := snap[n].(map[string]any)
		vl, _ := rec["version_lock"].(map[string]any)
		if vl["locked"] != true {
			t.Errorf("snapshot entry %q not locked", n)
		}
	}
}

// Two registries in one process saving different entries at the same time
// keep all their changes.
func TestConcurrentSavesGoroutines(t *testing.T) {
	dir := t.TempDir()
	names := scaledNames(t, dir, 48)[:40]
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	start := make(chan struct{})
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := registry.Open(context.Background(), dir, registry.Options{})
			if err != nil {
				errs <- err
				return
			}
			<-start
			for _, n := range names[g*20 : g*20+20] {
				if err := r.Update(context.Background(), n, func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") }); err != nil {
					errs <- err
					return
				}
				if err := r.Save(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkAllLocked(t, dir, names)
}

// Two processes locking 20 different entries each at the same moment: all
// 40 locks are there afterwards.
func TestConcurrentSavesProcesses(t *testing.T) {
	dir := t.TempDir()
	names := scaledNames(t, dir, 48)[:40]
	var cmds []*exec.Cmd
	for g := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "REGISTRY_TEST_HELPER=lock", "REGISTRY_TEST_DIR="+dir,
			"REGISTRY_TEST_NAMES="+strings.Join(names[g*20:g*20+20], ","))
		cmd.Stderr = os.Stderr
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("helper process: %v", err)
		}
	}
	checkAllLocked(t, dir, names)
}

// A process killed with SIGKILL in the middle of saves leaves files that
// parse.
func TestKilledDuringSavesLeavesParsableFiles(t *testing.T) {
	dir := t.TempDir()
	scaledNames(t, dir, 64)
	for i, delay := range []time.Duration{30, 70, 150, 260} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "REGISTRY_TEST_HELPER=churn", "REGISTRY_TEST_DIR="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill it mid-churn: some time after its first save, however
		// slowly a loaded machine started it.
		if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "saved\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: the helper did not save: %q, %v", i, line, err)
		}
		time.Sleep(delay * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		ps, err := registry.Validate(context.Background(), dir)
		if err != nil {
			t.Fatalf("round %d: Validate() = %v", i, err)
		}
		for _, p := range ps {
			t.Errorf("round %d: %s", i, p)
		}
		if _, err := registry.OpenFile(context.Background(), path(dir, registry.SnapshotFile), registry.Options{}); err != nil {
			t.Errorf("round %d: snapshot does not load: %v", i, err)
		}
		mustOpen(t, dir, registry.Options{})
	}
	if !strings.Contains(string(readFile(t, path(dir, registry.DiscoveredFile))), `"pad": "`) {
		t.Errorf("the helper never saved; the test proved nothing")
	}
	// The next save clears what the killed writers left behind.
	r := mustOpen(t, dir, registry.Options{})
	lockEntry(t, r, r.Entries(context.Background())[0].Name(), true)
	leftovers, _ := filepath.Glob(path(dir, ".*.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left after a save: %v", leftovers)
	}
}
