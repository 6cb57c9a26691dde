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
// parsing: --fleet URL, --fleet=URL, or IMAGEWORKS_FLEET set non-empty.
func wantsFleet(args []string, getenv func(string) string) bool {
	for i, a := range args {
		if a == "--" {
			break
		}
		if a == "--fleet" {
			return i+1 < len(args) && strings.TrimSpace(args[i+1]) != ""
		}
		if v, ok := strings.CutPrefix(a, "--fleet="); ok {
			return strings.TrimSpace(v) != ""
		}
	}
	return strings.TrimSpace(getenv("IMAGEWORKS_FLEET")) != ""
}

// errExecFailed wraps a failure to start imageworks-loader-fleet.
var errExecFailed = errors.New("running " + fleetBinary)
