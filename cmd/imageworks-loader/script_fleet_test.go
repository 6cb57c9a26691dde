package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/etcdfleet"
	"github.com/imageworks-ai/loader/core/fleet/fleettest"
)

// lazyEtcd is one embedded etcd for every script of the test binary,
// started by the first script that asks for it (fleet-start), so scripts
// without a fleet pay nothing.
type lazyEtcd struct {
	once      sync.Once
	endpoints []string
	stop      func()
	err       error
	scripts   atomic.Int64 // numbers each script's key prefix
}

// start runs the server once; dir holds its data.
func (l *lazyEtcd) start(dir string) ([]string, error) {
	l.once.Do(func() { l.endpoints, l.stop, l.err = fleettest.Serve(dir) })
	return l.endpoints, l.err
}

// close stops the server if it was started.
func (l *lazyEtcd) close() {
	if l.stop != nil {
		l.stop()
	}
}

// fleetCmds are the scripts' commands for a shared etcd. Scripts share
// the server, each under a key prefix of its own
// ($IMAGEWORKS_FLEET_PREFIX, the hidden --fleet-prefix).
func fleetCmds(t *testing.T) map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	etcd := &lazyEtcd{}
	dir := t.TempDir()
	t.Cleanup(etcd.close)
	dial := func(ts *testscript.TestScript, host string) fleet.Fleet {
		f, err := etcdfleet.Dial(context.Background(), etcdfleet.Config{
			Endpoints: strings.Split(ts.Getenv("FLEET"), ","), HostID: host, Prefix: ts.Getenv("IMAGEWORKS_FLEET_PREFIX"),
		})
		ts.Check(err)
		ts.Defer(func() { _ = f.Close() })
		return f
	}
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// fleet-start: starts (once) the embedded etcd, sets $FLEET to its
		// endpoints and $IMAGEWORKS_FLEET_PREFIX to this script's prefix.
		"fleet-start": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 0 {
				ts.Fatalf("usage: fleet-start")
			}
			eps, err := etcd.start(dir)
			ts.Check(err)
			ts.Setenv("FLEET", strings.Join(eps, ","))
			ts.Setenv("IMAGEWORKS_FLEET_PREFIX", fmt.Sprintf("/script-%d/", etcd.scripts.Add(1)))
		},
		// fleet-publish HOSTID FILE: publishes FILE (a fleet.Host as JSON)
		// as HOSTID's observations until the script ends, as serve
		// --fleet on that host would.
		"fleet-publish": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: fleet-publish HOSTID FILE")
			}
			var h fleet.Host
			ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &h))
			h.ID = args[0]
			ts.Check(dial(ts, args[0]).Publish(context.Background(), h))
		},
		// freeport VAR: sets VAR to a loopback port nothing listens on.
		"freeport": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: freeport VAR")
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			ts.Check(err)
			ts.Setenv(args[0], strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
			ts.Check(l.Close())
		},
		// sparse FILE BYTES: makes FILE a sparse file of BYTES zero bytes
		// (hashing it takes a while: long enough for two locks to overlap).
		"sparse": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 2 {
				ts.Fatalf("usage: sparse FILE BYTES")
			}
			n, err := strconv.ParseInt(args[1], 10, 64)
			ts.Check(err)
			f, err := os.Create(ts.MkAbs(args[0]))
			ts.Check(err)
			ts.Check(f.Truncate(n))
			ts.Check(f.Close())
		},
		// fleet-claim HOSTID PORT MODEL: claims HOSTID's slot PORT for
		// MODEL until the script ends.
		"fleet-claim": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 3 {
				ts.Fatalf("usage: fleet-claim HOSTID PORT MODEL")
			}
			port, err := strconv.Atoi(args[1])
			ts.Check(err)
			_, err = dial(ts, args[0]).Claim(context.Background(), fleet.SlotClaim{Host: args[0], Port: port, Model: args[2], At: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)})
			ts.Check(err)
		},
		// fleet-pin NAME: prints the fleet's pin for NAME as JSON (with
		// its revision) on stdout.
		"fleet-pin": func(ts *testscript.TestScript, neg bool, args []string) {
			if neg || len(args) != 1 {
				ts.Fatalf("usage: fleet-pin NAME")
			}
			p, err := dial(ts, "fleet-pin-reader").Pin(context.Background(), args[0])
			ts.Check(err)
			out, err := json.Marshal(struct {
				fleet.Pin
				Revision int64 `json:"revision"`
			}{p, p.Revision})
			ts.Check(err)
			_, err = ts.Stdout().Write(append(out, '\n'))
			ts.Check(err)
		},
	}
}
