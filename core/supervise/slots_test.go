package supervise

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// TestPorts: the state file is DefaultPort's, a ".P" sibling is P's, and
// nothing else in the folder (locks, logs, look-alikes) is a slot.
func TestPorts(t *testing.T) {
	dir := t.TempDir()
	s := New(Options{StateFile: filepath.Join(dir, "st", "active_vllm.json")})
	if ports, err := s.Ports(); err != nil || len(ports) != 0 {
		t.Fatalf("Ports() of a missing folder = %v, %v, want none", ports, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "st")); !os.IsNotExist(err) {
		t.Errorf("Ports() created the state folder (%v)", err)
	}
	for _, name := range []string{
		"active_vllm.json", "active_vllm.8000.json", "active_vllm.24002.json",
		"active_vllm.json.lock", "active_vllm.8000.json.lock", "active_vllm.24001.json",
		"active_vllm.08000.json", "active_vllm.-1.json", "active_vllm.x.json", "active_vllm.99999.json", "other.9.json",
	} {
		if err := writeState(filepath.Join(dir, "st", name), State{PID: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "st", "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	ports, err := s.Ports()
	if want := []int{8000, DefaultPort, 24002}; err != nil || !slices.Equal(ports, want) {
		t.Errorf("Ports() = %v, %v, want %v", ports, err, want)
	}
}

// TestFindAndRunning: Find names the live server of an entry on whichever
// port, the state recording its name or (an older version's) an alias; a state whose process is gone, or one
// still starting, is nothing, and is left as it is.
func TestFindAndRunning(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("start times come from /proc, which %s does not have", runtime.GOOS)
	}
	ticks, _ := procStart(os.Getpid())
	dir := t.TempDir()
	s := New(Options{StateFile: filepath.Join(dir, "active_vllm.json")})
	me := State{LogicalName: "m", Port: 8000, PID: os.Getpid(), StartTicks: ticks}
	old := State{LogicalName: "old-alias", Port: 8001, PID: os.Getpid(), StartTicks: ticks}
	gone := State{LogicalName: "g", Port: 9000, PID: os.Getpid(), StartTicks: ticks + 1}
	notReady := false
	starting := State{LogicalName: "s", Port: 9001, PID: os.Getpid(), StartTicks: ticks, Ready: &notReady}
	for _, st := range []State{me, old, gone, starting} {
		if err := writeState(s.StatePath(st.Port), st); err != nil {
			t.Fatal(err)
		}
	}
	if port, st, err := s.Find("m", "alias-of-m"); err != nil || port != 8000 || st == nil || st.LogicalName != "m" {
		t.Errorf("Find(m) = %d, %+v, %v, want port 8000", port, st, err)
	}
	if port, st, err := s.Find("o", "old-alias"); err != nil || port != 8001 || st == nil {
		t.Errorf("Find(o, old-alias) = %d, %+v, %v, want port 8001", port, st, err)
	}
	for _, name := range []string{"g", "s", "nobody"} {
		if port, st, err := s.Find(name); err != nil || port != 0 || st != nil {
			t.Errorf("Find(%q) = %d, %+v, %v, want nothing", name, port, st, err)
		}
	}
	if _, err := os.Stat(s.StatePath(9000)); err != nil {
		t.Errorf("Find cleared a state: %v", err)
	}
}
