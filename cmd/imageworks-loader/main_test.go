package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// TestMain lets the test binary double as the CLI and as the bundled
// plugins, so scripts run them as real processes.
func TestMain(m *testing.M) {
	if runFakePlugin() {
		return
	}
	testscript.Main(m, map[string]func(){
		"imageworks-loader": func() {
			os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, DialFleet: testDialFleet}))
		},
		// The CLI as built without the "fleet" tag (main itself: it runs
		// imageworks-loader-fleet when given a fleet), and that one.
		"iwl-lean": main,
		"imageworks-loader-fleet": func() {
			if os.Getenv("IWL_TEST_FLEET_LEAN") != "" {
				main() // imageworks-loader-fleet built without the tag
			}
			os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, DialFleet: testDialFleet}))
		},
		"imageworks-backend-vllm":     func() { os.Exit(sdk.Serve(vllm.New())) },
		"imageworks-backend-ollama":   func() { os.Exit(sdk.Serve(ollama.New())) },
		"imageworks-backend-lmdeploy": func() { os.Exit(sdk.Serve(lmdeploy.New())) },
		"standin":                     func() { os.Exit(standin.Main(os.Args[1:])) },
		"iwl-mkregistry":              mkRegistry,
		"vllm":                        func() { os.Exit(standin.ServerMain(standin.VLLM, os.Args[1:])) },
		"lmdeploy":                    func() { os.Exit(standin.ServerMain(standin.LMDeploy, os.Args[1:])) },
		"iwl-split-crash":             splitCrash,
	})
}

// TestScripts runs testdata/script/*.txtar: the CLI's behaviour, checked
// from outside as a user would.
func TestScripts(t *testing.T) {
	cmds := scriptCmds()
	for name, f := range fleetCmds(t) {
		cmds[name] = f
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Cmds:                cmds,
		RequireExplicitExec: true,
		Condition:           scriptCondition,
		Setup: func(env *testscript.Env) error {
			scriptHome(env)
			configs, err := filepath.Abs(filepath.Join("..", "..", "configs"))
			if err != nil {
				return err
			}
			env.Setenv("CONFIGS", configs)
			return nil
		},
	})
}

// scriptHome gives a script a home of its own in its work folder, so
// nothing it runs reads or writes the user's (~/.ollama, XDG data).
func scriptHome(env *testscript.Env) {
	env.Setenv("HOME", env.WorkDir+"/home")
	env.Setenv("XDG_DATA_HOME", env.WorkDir+"/home/.local/share")
}
