//go:build realollama

package main

import (
	"maps"
	"os"
	"path/filepath"
	"testing"

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
