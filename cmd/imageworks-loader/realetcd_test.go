package main

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// EnvRealEtcd names the etcd binary TestRealEtcd runs (make test-fleet
// passes Debian's, from the etcd-server package).
const EnvRealEtcd = "IMAGEWORKS_REAL_ETCD"

// TestRealEtcd runs testdata/fleet/*.txtar: hosts, each a registry folder
// with its own serve or gateway process, sharing a real etcd server.
// Opt-in (make test-fleet), skipped unless IMAGEWORKS_REAL_ETCD names the
// etcd binary. The Go tests of core/fleet run the same against an
// embedded etcd on every make test.
func TestRealEtcd(t *testing.T) {
	bin := os.Getenv(EnvRealEtcd)
	if bin == "" {
		t.Skip(EnvRealEtcd + " is unset: the real-etcd test is opt-in (make test-fleet)")
	}
	bin, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s: %v", EnvRealEtcd, err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		t.Fatal(err)
	}
	cmds := scriptCmds()
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"eventually": cmdEventually,
	})
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/fleet",
		Cmds:                cmds,
		RequireExplicitExec: true,
		Condition:           scriptCondition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", env.WorkDir+"/home")
			env.Setenv("XDG_DATA_HOME", env.WorkDir+"/home/.local/share")
			env.Setenv("ETCD_BIN", bin)
			return nil
		},
	})
}

// eventually DURATION STATUS PROG ARGS...: PROG, run again every 100 ms,
// exits with STATUS within DURATION; its stdout and stderr are the last
// run's.
func cmdEventually(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: eventually DURATION STATUS PROG ARGS...")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	deadline := time.Now().Add(d)
	for {
		got := execStatus(ts, args[2], args[3:]...)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s %s: status %d, want %d within %v", args[2], strings.Join(args[3:], " "), got, want, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
