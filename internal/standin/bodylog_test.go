package standin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary run ServerMain: with STANDIN_TEST_SERVER
// set to a kind it serves as that server from its arguments.
func TestMain(m *testing.M) {
	if kind := os.Getenv("STANDIN_TEST_SERVER"); kind != "" {
		os.Exit(ServerMain(Kind(kind), os.Args[1:]))
	}
	os.Exit(m.Run())
}

func readBodyLog(t *testing.T, r io.Reader) []bodyLine {
	t.Helper()
	var out []bodyLine
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		var l bodyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("body log line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

func TestBodyLog(t *testing.T) {
	var log bytes.Buffer
	s := NewVLLM(Config{BodyLog: &log, Models: []Model{{ID: "m"}}})
	// A body as a client may send it: odd spacing, key order, escapes.
	chat := "{ \"messages\":[{\"role\":\"user\",\"content\":\"caf\u00e9 \\\"q\\\"\\n\"}],\n  \"model\" : \"m\", \"temperature\":0.10 }"
	call(t, "GET", s.URL+"/health", "", "")
	call(t, "POST", s.URL+"/v1/chat/completions", "", chat)
	call(t, "POST", s.URL+"/v1/embeddings", "", `{"model":"m","input":"x"}`)
	s.SetFailure(Failure{Mode: FailInternal})
	call(t, "POST", s.URL+"/v1/chat/completions", "", `{"model":"m"}`)
	s.Close()
	got := readBodyLog(t, &log)
	want := []bodyLine{
		{"GET", "/health", ""},
		{"POST", "/v1/chat/completions", chat},
		{"POST", "/v1/embeddings", `{"model":"m","input":"x"}`},
		{"POST", "/v1/chat/completions", `{"model":"m"}`},
	}
	if len(got) != len(want) {
		t.Fatalf("body log = %+v, want %d lines", got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("body log line %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// startServerMain runs ServerMain as a vLLM stand-in in a child process
// with env added, and returns its URL and the command.
func startServerMain(t *testing.T, env ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "/models/qwen", "--port", "0", "--served-model-name", "qwen")
	cmd.Env = append(os.Environ(), append([]string{"STANDIN_TEST_SERVER=vllm"}, env...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "INFO serving on "); ok {
			go io.Copy(io.Discard, stderr)
			return u, cmd
		}
	}
	t.Fatalf("ServerMain ended without serving")
	return "", nil
}

func TestServerMainEnv(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "bodies.jsonl")
	const delay = 30 * time.Millisecond
	url, cmd := startServerMain(t, EnvChunkDelay+"="+delay.String(), EnvBodyLog+"="+logFile)
	body := `{"model":"qwen","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	_, events := postStream(t, url+"/v1/chat/completions", "", body)
	// "Hello, I am qwen. Send me an image to describe.": role, 10 words,
	// finish, [DONE].
	if len(events) != 13 {
		t.Fatalf("got %d events, want 13", len(events))
	}
	if d := events[len(events)-1].at.Sub(events[0].at); d < 2*delay {
		t.Errorf("last event read %v after the first, want chunks %v apart", d, delay)
	}
	call(t, "POST", url+"/v1/embeddings", "", `{"model":"qwen","input":["a","b"]}`)
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ServerMain after SIGTERM: %v, want exit 0", err)
	}
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := readBodyLog(t, f)
	want := []bodyLine{{"POST", "/v1/chat/completions", body}, {"POST", "/v1/embeddings", `{"model":"qwen","input":["a","b"]}`}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("body log = %+v, want %+v", got, want)
	}
}

func TestServerMainBadEnv(t *testing.T) {
	for _, env := range []string{EnvChunkDelay + "=5 parsecs", EnvChunkStamp + "=yes", EnvBodyLog + "=" + filepath.Join(t.TempDir(), "no", "such", "dir")} {
		cmd := exec.Command(os.Args[0], "serve", "/models/qwen", "--port", "0")
		cmd.Env = append(os.Environ(), "STANDIN_TEST_SERVER=vllm", env)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		name, _, _ := strings.Cut(env, "=")
		if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "vllm: "+name) {
			t.Errorf("ServerMain with %s = %v %q, want exit 2 naming %s", env, err, out, name)
		}
	}
}
