package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    command
		wantErr bool
	}{
		{"go=bin/x verify m", command{name: "go", argv: []string{"sh", "-c", "exec bin/x verify m"}}, false},
		{" py = python3 -c 'print(1)' ", command{name: "py", argv: []string{"sh", "-c", "exec python3 -c 'print(1)'"}}, false},
		{"noequals", command{}, true},
		{"=cmd", command{}, true},
		{"name=", command{}, true},
	}
	for _, tt := range tests {
		got, err := parseCommand(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseCommand(%q) = %+v, %v, want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    ratio
		wantErr bool
	}{
		{"python/go", ratio{num: "python", den: "go"}, false},
		{"python / go >= 1.8", ratio{num: "python", den: "go", min: 1.8}, false},
		{"python", ratio{}, true},
		{"/go", ratio{}, true},
		{"a/b>=x", ratio{}, true},
		{"a/b>=-1", ratio{}, true},
		{"cpu:loop/go>=0.95", ratio{num: "loop", den: "go", min: 0.95, cpu: true}, false},
		{"cpu:/go", ratio{}, true},
	}
	for _, tt := range tests {
		got, err := parseRatio(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseRatio(%q) = %+v, %v, want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSummarise(t *testing.T) {
	ms := func(d ...int) []sample {
		var s []sample
		for i, x := range d {
			s = append(s, sample{wall: time.Duration(x) * time.Millisecond, maxRSS: int64(i * 10), faults: int64(x)})
		}
		return s
	}
	tests := []struct {
		in   []sample
		want stats
	}{
		{ms(30, 10, 20), stats{median: 20 * time.Millisecond, min: 10 * time.Millisecond, max: 30 * time.Millisecond, maxRSS: 20, faults: 20}},
		{ms(40, 10, 30, 20), stats{median: 25 * time.Millisecond, min: 10 * time.Millisecond, max: 40 * time.Millisecond, maxRSS: 30, faults: 30}},
		{nil, stats{}},
	}
	for _, tt := range tests {
		if got := summarise(tt.in); got != tt.want {
			t.Errorf("summarise(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestAggregateOf(t *testing.T) {
	h := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	a, b := h("a"), h("b")
	lines := b + "  y.bin\n" + a + "  x.bin\n"
	tests := []struct {
		name, out, want string
	}{
		{"loader JSON", `{"name": "m", "aggregate_sha256": "` + a + `", "locked": false}` + "\n", a},
		{"bare line", a + "\n", a},
		{"sha256sum lines, sorted by line", lines, h(b + "  y.bin\n" + a + "  x.bin")},
		{"nothing", "", ""},
		{"prose", "hello world\n", ""},
		{"upper-case hex", strings.ToUpper(a) + "\n", ""},
	}
	for _, tt := range tests {
		if got := aggregateOf(tt.out); got != tt.want {
			t.Errorf("aggregateOf(%s %q) = %q, want %q", tt.name, tt.out, got, tt.want)
		}
	}
}

func TestWriteModelAndRegistry(t *testing.T) {
	dir := t.TempDir()
	names, err := writeModel(context.Background(), filepath.Join(dir, "m"), 3, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("writeModel(3 files) = %v, want %v", names, want)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "m", names[0]))
	second, _ := os.ReadFile(filepath.Join(dir, "m", names[1]))
	if len(first) != 1<<20 || bytes.Equal(first, second) {
		t.Errorf("writeModel files: size %d, identical %v; want 1 MiB of distinct bytes", len(first), bytes.Equal(first, second))
	}
	reg := filepath.Join(dir, "reg")
	if err := writeRegistry(reg, "bench m", "/models/m"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(reg, "model_registry.curated.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	wantReg := []map[string]any{{"name": "bench m", "backend": "vllm", "backend_config": map[string]any{"model_path": "/models/m"}}}
	if !reflect.DeepEqual(got, wantReg) {
		t.Errorf("writeRegistry = %v, want %v", got, wantReg)
	}
}

func TestRunCommands(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("procbench runs each -cmd line with sh -c, which Windows lacks")
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"ratio met", []string{"-n", "3", "-cmd", "slow=sleep 0.2", "-cmd", "fast=true", "-ratio", "slow/fast>=2", "-check"}, 0,
			[]string{"slow", "fast", "slow/fast = ", "target >= 2.00x: ok"}},
		{"ratio missed", []string{"-n", "1", "-cmd", "slow=sleep 0.2", "-cmd", "fast=true", "-ratio", "fast/slow>=2", "-check"}, 1,
			[]string{"MISSED"}},
		{"missed without -check", []string{"-n", "1", "-cmd", "slow=sleep 0.2", "-cmd", "fast=true", "-ratio", "fast/slow>=2"}, 0,
			[]string{"MISSED"}},
		{"failing command", []string{"-n", "1", "-cmd", "bad=exit 3"}, 1, nil},
		{"bad flag", []string{"-n", "0"}, 2, nil},
		{"ratio without commands", []string{"-ratio", "a/b"}, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("run(%q) = %d, want %d; stdout %s; stderr %s", tt.args, code, tt.wantCode, out.String(), errb.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, out.String(), w)
				}
			}
		})
	}
}

// touchEnv makes the test binary, run by TestRunOnceMeasuresRSS, touch
// 32 MiB and exit.
const touchEnv = "PROCBENCH_TEST_TOUCH_32MIB"

// TestRunOnceMeasuresRSS: a process that touches 32 MiB (this test binary,
// run again) reports a resident set of at least that, and a fault a page.
func TestRunOnceMeasuresRSS(t *testing.T) {
	if os.Getenv(touchEnv) == "1" {
		b := make([]byte, 32<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		runtime.KeepAlive(b)
		os.Exit(0)
	}
	if runtime.GOOS == "windows" {
		t.Skip("procbench reads resident sets and faults from Unix rusage")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(touchEnv, "1")
	s, _, err := runOnce(context.Background(), command{name: "mem", argv: []string{self, "-test.run=^TestRunOnceMeasuresRSS$"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.maxRSS < 32<<20 || s.wall <= 0 || s.faults < 32<<20/4096 {
		t.Errorf("runOnce(32 MiB python) = %+v, want maxRSS >= 32 MiB, a wall time and a fault per page", s)
	}
}

// TestHashScenarioStandin runs the built-in benchmark end to end with tiny
// fixtures and sha256sum standing in for the loader, checks the aggregates
// agree, and that the temporary folder is gone afterwards.
func TestHashScenarioStandin(t *testing.T) {
	for _, tool := range []string{"python3", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip("no "+tool+":", err)
		}
	}
	tmp := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-standin", "-n", "1", "-shards", "2", "-shard-mb", "1", "-single-mb", "2", "-tmp", tmp}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("run(%q) = %d, want 0; stderr %s", args, code, errb.String())
	}
	if got := strings.Count(out.String(), "aggregates agree"); got != 2 {
		t.Errorf("run(%q) stdout = %s, want two \"aggregates agree\" lines", args, out.String())
	}
	for _, w := range []string{"2x1MiB", "1x2MiB", "python/sha256sum = "} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("run(%q) stdout lacks %q: %s", args, w, out.String())
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("run(%q) left %v behind in -tmp", args, left)
	}
}

func TestHashScenarioNeedsLoader(t *testing.T) {
	var out, errb bytes.Buffer
	args := []string{"-loader", filepath.Join(t.TempDir(), "nope"), "-n", "1", "-shard-mb", "1", "-single-mb", "1", "-tmp", t.TempDir()}
	if code := run(args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "-standin") {
		t.Errorf("run(missing loader) = %d, stderr %q, want 1 and a hint about -standin", code, errb.String())
	}
}
