package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/fleet"
)

// The etcd client is not in the imageworks-loader binary: linked in, its
// package initialisation and size cost every command a few milliseconds,
// fleet or not (list and select took 12% longer). It is in
// imageworks-loader-fleet, the same CLI built with the "fleet" build tag
// (make build builds both); imageworks-loader given --fleet (or
// IMAGEWORKS_FLEET) runs that binary in its place, with the same
// arguments, environment, streams and process id (see execFleetBinary).

// fleetBinary is the name of the CLI built with the fleet's client.
const fleetBinary = toolName + "-fleet"

// FleetConfig is how the CLI dials a fleet (see etcdfleet.Config).
type FleetConfig struct {
	Endpoints []string
	HostID    string
	TTL       time.Duration
	OpTimeout time.Duration
	Prefix    string
	Logger    hclog.Logger
}

// FleetDialer connects to a fleet; nil in a binary built without one.
type FleetDialer func(context.Context, FleetConfig) (fleet.Fleet, error)

// errNoFleetClient: a fleet was asked for of a binary without its client
// and without imageworks-loader-fleet to run instead.
var errNoFleetClient = fmt.Errorf("--fleet: this binary has no etcd client and %s was not found beside it or on PATH (make build builds it; or go build -tags fleet -o %s ./cmd/imageworks-loader)", fleetBinary, fleetBinary)

// findFleetBinary is imageworks-loader-fleet beside this executable, else
// on PATH.
func findFleetBinary() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), fleetBinary)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(fleetBinary)
	if err != nil {
		return "", errNoFleetClient
	}
	return p, nil
}

// wantsFleet reports whether args or the environment name a fleet, before
// parsing, as kong reads them: every --fleet URL and --fleet=URL adds
// comma-separated endpoints, and one given, even empty, overrides
// IMAGEWORKS_FLEET. A shell asking for completions (COMP_LINE set) never
// wants one: completion does not dial it.
func wantsFleet(args []string, getenv func(string) string) bool {
	if getenv("COMP_LINE") != "" {
		return false
	}
	given, named := false, false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		v, ok := strings.CutPrefix(a, "--fleet=")
		if a == "--fleet" && i+1 < len(args) {
			v, ok = args[i+1], true
			i++
		}
		if ok {
			given = true
			named = named || hasEndpoint(v)
		}
	}
	if given {
		return named
	}
	return hasEndpoint(getenv("IMAGEWORKS_FLEET"))
}

// hasEndpoint reports whether a comma-separated list of endpoints names
// one (see App.fleetEndpoints).
func hasEndpoint(list string) bool {
	for u := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(u) != "" {
			return true
		}
	}
	return false
}

// errExecFailed wraps a failure to start imageworks-loader-fleet.
var errExecFailed = errors.New("running " + fleetBinary)

// envFleetExec is set, to the path run, in the environment of the
// imageworks-loader-fleet that imageworks-loader runs in its place.
const envFleetExec = "IMAGEWORKS_FLEET_EXEC"

// errFleetBinaryLean: the imageworks-loader-fleet found was built without
// the "fleet" tag, so it has no etcd client either and would run itself
// again, forever.
var errFleetBinaryLean = fmt.Errorf("--fleet: %s has no etcd client either (built without -tags fleet): go build -tags fleet -o %s ./cmd/imageworks-loader", fleetBinary, fleetBinary)

// fleetExecEnv is the environment imageworks-loader-fleet at path runs
// with: this one, and path under envFleetExec.
func fleetExecEnv(path string) []string {
	return append(os.Environ(), envFleetExec+"="+path)
}

// ranAsFleetBinary reports whether this process is the
// imageworks-loader-fleet another imageworks-loader ran in its place (the
// path envFleetExec names is this executable); a process that merely
// inherited the variable (one the fleet binary started) is not.
func ranAsFleetBinary(getenv func(string) string) bool {
	path := getenv(envFleetExec)
	if path == "" {
		return false
	}
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	a, err1 := os.Stat(path)
	b, err2 := os.Stat(exe)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// runFleetBinary runs imageworks-loader-fleet in this process's place
// (see execFleetBinary); it returns only when it cannot, with the reason.
func runFleetBinary(args []string, getenv func(string) string) error {
	if ranAsFleetBinary(getenv) {
		return errFleetBinaryLean
	}
	return execFleetBinary(args)
}
