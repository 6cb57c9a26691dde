package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// A started_at the Python tool wrote (json.dumps of time.time(), or any
// float) is written back byte for byte: both spell a float as repr does.
func TestPythonStartedAtRoundTrips(t *testing.T) {
	path := filepath.Join(t.TempDir(), "active_vllm.json")
	for _, py := range []string{"1729760000.0", "1729760000.5", "1729760123.456789", "1731234567.8912346", "0.0", "1e+20", "1e-05"} {
		in := `{"logical_name":"q","served_model_id":"q","port":24001,"pid":9,"started_at":` + py + `}`
		if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := readState(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := writeState(path, *st); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil || string(raw["started_at"]) != py {
			t.Errorf("started_at %s written back as %s (%v), want %s", py, raw["started_at"], err, py)
		}
	}
}

func TestStateRoundTripAndPythonShape(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s", "active_vllm.json")
	st := State{LogicalName: "a", ServedModelID: "a-id", Port: 24001, PID: 42, StartedAt: 1729760000, StartTicks: 7}
	if err := writeState(path, st); err != nil {
		t.Fatal(err)
	}
	var py map[string]any
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &py); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"logical_name", "served_model_id", "port", "pid", "started_at"} {
		if _, ok := py[k]; !ok {
			t.Errorf("state file lacks %q: %s", k, data)
		}
	}
	got, err := readState(path)
	if err != nil || got == nil || got.PID != 42 || got.StartTicks != 7 || got.Started().Unix() != 1729760000 {
		t.Errorf("readState() = %+v, %v, want what was written", got, err)
	}
	// A Python-written file (no extra keys) reads too.
	if err := os.WriteFile(path, []byte(`{"logical_name":"q","served_model_id":"q","port":24001,"pid":9,"started_at":1729760000.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := readState(path); err != nil || got.LogicalName != "q" || got.StartTicks != 0 {
		t.Errorf("readState(python) = %+v, %v", got, err)
	}
	if err := clearState(path); err != nil {
		t.Fatal(err)
	}
	if got, err := readState(path); got != nil || err != nil {
		t.Errorf("readState(missing) = %+v, %v, want nil, nil", got, err)
	}
}

func TestStatePath(t *testing.T) {
	s := New(Options{StateFile: "/x/active_vllm.json"})
	if got := s.StatePath(DefaultPort); got != "/x/active_vllm.json" {
		t.Errorf("StatePath(default) = %q", got)
	}
	if got := s.StatePath(24002); got != "/x/active_vllm.24002.json" {
		t.Errorf("StatePath(24002) = %q", got)
	}
	if got := s.LogPath(24002); got != "/x/logs/server-24002.log" {
		t.Errorf("LogPath(24002) = %q", got)
	}
}

func TestAliveNeedsTheStartTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("start times come from /proc, which %s does not have", runtime.GOOS)
	}
	ticks, ok := procStart(os.Getpid())
	if !ok || ticks == 0 {
		t.Fatalf("procStart(self) = %d, %v", ticks, ok)
	}
	s := New(Options{})
	if !s.alive(State{PID: os.Getpid(), StartTicks: ticks}) {
		t.Errorf("alive(self, its start) = false")
	}
	if s.alive(State{PID: os.Getpid(), StartTicks: ticks + 1}) {
		t.Errorf("alive(self, another start) = true: a reused pid would be taken for the server")
	}
	if s.alive(State{PID: os.Getpid(), StartedAt: 1}) {
		t.Errorf("alive(self, Python state started in 1970) = true")
	}
	at, _ := startedAtUnix(ticks)
	if !s.alive(State{PID: os.Getpid(), StartedAt: PyFloat(at + 1)}) {
		t.Errorf("alive(self, Python state started a second after it) = false")
	}
}

func TestGPUMemory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skipf("the fake nvidia-smi is a shell script, which %s cannot run", runtime.GOOS)
	}
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	if gpus, err := GPUMemory(context.Background()); gpus != nil || err != nil {
		t.Errorf("GPUMemory() without nvidia-smi = %v, %v, want nothing", gpus, err)
	}
	script := "#!/bin/sh\necho '0, RTX A, 100, 24564'\necho '1, RTX B, 5, 8192'\n"
	if err := safefile.WriteExecutable(filepath.Join(dir, "nvidia-smi"), strings.NewReader(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gpus, err := GPUMemory(context.Background())
	want := []GPU{{0, "RTX A", 100, 24564}, {1, "RTX B", 5, 8192}}
	if err != nil || len(gpus) != 2 || gpus[0] != want[0] || gpus[1] != want[1] {
		t.Errorf("GPUMemory() = %+v, %v, want %+v", gpus, err, want)
	}
	if err := safefile.WriteExecutable(filepath.Join(dir, "nvidia-smi"), strings.NewReader("#!/bin/sh\necho garbage\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := GPUMemory(context.Background()); err == nil {
		t.Errorf("GPUMemory() of garbage: no error")
	}
}

// TestCurrentWithoutStateCreatesNothing: asking what runs on a port that
// has no state file answers nil and creates neither the state folder nor
// a lock file.
func TestCurrentWithoutStateCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	s := New(Options{StateFile: filepath.Join(dir, "active_vllm.json")})
	st, err := s.Current(context.Background(), DefaultPort)
	if err != nil || st != nil {
		t.Fatalf("Current() = %+v, %v, want nil, nil", st, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Current() left %s behind (stat error %v)", dir, err)
	}
}
