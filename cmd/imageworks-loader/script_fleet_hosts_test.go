package main

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/core/fleet/fleettest"
)

// TestFleetHosts runs testdata/fleet/*.txtar, hosts that are registry
// folders with serve and gateway processes of their own sharing one
// etcd, against an embedded etcd (in this test process) that the scripts
// stop and restart with the etcd command (TestRealEtcd, with the realetcd
// build tag, runs them against a real etcd).
func TestFleetHosts(t *testing.T) {
	runFleetScripts(t, "")
}

func runFleetScripts(t *testing.T, etcdBin string) {
	cmds := scriptCmds()
	maps.Copy(cmds, map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"eventually": cmdEventually,
		"etcd":       cmdEtcd,
	})
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/fleet",
		Cmds:                cmds,
		RequireExplicitExec: true,
		Condition:           scriptCondition,
		Setup: func(env *testscript.Env) error {
			scriptHome(env)
			e := &scriptEtcd{bin: etcdBin, dir: filepath.Join(env.WorkDir, "etcd-data")}
			env.Values[scriptEtcdKey{}] = e
			env.Defer(e.stop)
			return nil
		},
	})
}

type scriptEtcdKey struct{}

// scriptEtcd is a script's etcd: a real server process when bin is set,
// else an embedded one-member cluster. Restarting keeps data and address.
type scriptEtcd struct {
	bin, dir string

	embedded *fleettest.Cluster
	proc     *exec.Cmd
	client   string // the client URL
	peer     string
}

// etcd start|stop|restart: starts the script's etcd (and sets FLEET to
// its client URL), stops it as a crash would, or starts it again on its
// data and address.
func cmdEtcd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: etcd start|stop|restart")
	}
	e := ts.Value(scriptEtcdKey{}).(*scriptEtcd)
	switch args[0] {
	case "start":
		ts.Check(e.start())
		ts.Setenv("FLEET", e.client)
	case "stop":
		e.stop()
	case "restart":
		ts.Check(e.restart())
	default:
		ts.Fatalf("usage: etcd start|stop|restart")
	}
}

func (e *scriptEtcd) start() error {
	if e.bin == "" {
		c, err := fleettest.Run(e.dir, 1)
		if err != nil {
			return err
		}
		e.embedded, e.client = c, c.Endpoints()[0]
		return nil
	}
	ports := make([]int, 2)
	for i := range ports {
		p, err := pickPort()
		if err != nil {
			return err
		}
		ports[i] = p
	}
	e.client = "http://127.0.0.1:" + strconv.Itoa(ports[0])
	e.peer = "http://127.0.0.1:" + strconv.Itoa(ports[1])
	return e.run()
}

// run starts the real etcd and waits for its health check.
func (e *scriptEtcd) run() error {
	cmd := exec.Command(e.bin, "--name", "e1", "--data-dir", e.dir,
		"--listen-client-urls", e.client, "--advertise-client-urls", e.client,
		"--listen-peer-urls", e.peer, "--initial-advertise-peer-urls", e.peer,
		"--initial-cluster", "e1="+e.peer)
	cmd.Stdout, cmd.Stderr = nil, nil // its own log is noise here
	if err := cmd.Start(); err != nil {
		return err
	}
	e.proc = cmd
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(e.client + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.stop()
	return errors.New("etcd did not answer /health within 20s")
}

func (e *scriptEtcd) stop() {
	if e.embedded != nil {
		e.embedded.StopAll()
	}
	if e.proc != nil {
		_ = e.proc.Process.Kill()
		_ = e.proc.Wait()
		e.proc = nil
	}
}

func (e *scriptEtcd) restart() error {
	if e.embedded != nil {
		var err error
		func() {
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("%v", r)
				}
			}()
			e.embedded.RestartAll()
		}()
		return err
	}
	if e.client == "" {
		return errors.New("etcd restart before etcd start")
	}
	return e.run()
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
