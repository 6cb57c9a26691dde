//go:build realollama

package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/ollamatiny"
	"github.com/rogpeppe/go-internal/testscript"
)

// EnvRealOllama names the ollama binary TestRealOllama runs (make
// test-ollama builds one with tools/real-ollama/build.sh).
const EnvRealOllama = "IMAGEWORKS_REAL_OLLAMA"

// TestRealOllama runs testdata/realollama/*.txtar against a real Ollama
// server serving a tiny random-weight model. It exists only with the
// realollama build tag (make test-ollama builds Ollama and sets the tag and
// IMAGEWORKS_REAL_OLLAMA, which must then name the ollama binary).
func TestRealOllama(t *testing.T) {
	bin := os.Getenv(EnvRealOllama)
	if bin == "" {
		t.Fatal(EnvRealOllama + " is unset: name the ollama binary (make test-ollama builds one)")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s=%s: %v", EnvRealOllama, bin, err)
	}
	cmds := scriptCmds()
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"freeport":  cmdFreePort,
		"waithttp":  cmdWaitHTTP,
		"tinygguf":  cmdTinyGGUF,
		"sha256of":  cmdSHA256Of,
		"httpcode":  cmdHTTPCode,
		"awaitbody": cmdAwaitBody,
		"sleep":     cmdSleep,
	})
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/realollama",
		Cmds:                cmds,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			scriptHome(env)
			env.Setenv("OLLAMA_BIN", bin)
			return nil
		},
	})
}

// tinygguf FILE: writes the tiny random-weight model of ollamatiny.
func cmdTinyGGUF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tinygguf FILE")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	_, err = ollamatiny.Write(f, ollamatiny.Options{})
	ts.Check(err)
	ts.Check(f.Close())
}

// sha256of VAR FILE: sets VAR to the hex SHA-256 of FILE.
func cmdSHA256Of(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sha256of VAR FILE")
	}
	sum := sha256.Sum256([]byte(ts.ReadFile(args[1])))
	ts.Setenv(args[0], hex.EncodeToString(sum[:]))
}

// httpcode URL CODE: one GET of URL must answer status CODE.
func cmdHTTPCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: httpcode URL CODE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	resp.Body.Close()
	if got := strconv.Itoa(resp.StatusCode); got != args[1] {
		ts.Fatalf("GET %s = %s, want %s", args[0], got, args[1])
	}
}

// [!] awaitbody DURATION URL TEXT: polls GET URL until it answers 200 with
// a body holding TEXT (with !: a body without it), failing after DURATION.
func cmdAwaitBody(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: [!] awaitbody DURATION URL TEXT")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	start := time.Now()
	c := &http.Client{Timeout: 5 * time.Second}
	var last string
	for {
		resp, err := c.Get(args[1])
		if err == nil {
			last = readAll(resp)
			if resp.StatusCode == http.StatusOK && strings.Contains(last, args[2]) != neg {
				ts.Logf("awaitbody: after %v", time.Since(start).Round(10*time.Millisecond))
				return
			}
		} else {
			last = err.Error()
		}
		if time.Since(start) > d {
			ts.Fatalf("GET %s: no body %s %q within %v (last: %s)", args[1], map[bool]string{false: "with", true: "without"}[neg], args[2], d, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sleep DURATION: waits DURATION.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}
