package main

import (
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary run the command: with STANDIN_RUN_MAIN set
// it is the standin command itself.
func TestMain(m *testing.M) {
	if os.Getenv("STANDIN_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

func TestCommandServes(t *testing.T) {
	urlFile := filepath.Join(t.TempDir(), "url")
	cmd := exec.Command(os.Args[0], "vllm", "--models", "x", "--url-file", urlFile)
	cmd.Env = append(os.Environ(), "STANDIN_RUN_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(urlFile); err == nil {
			url = strings.TrimSpace(string(b))
		}
	}
	if url == "" {
		t.Fatal("standin vllm wrote no URL within 10s")
	}
	resp, err := http.Get(url + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":"x"`) {
		t.Errorf("GET /v1/models = %d %s, want 200 listing x", resp.StatusCode, body)
	}
}

func TestCommandUsage(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "STANDIN_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "usage: standin") {
		t.Errorf("standin with no arguments = %v, %q, want exit 2 and the usage", err, out)
	}
}
