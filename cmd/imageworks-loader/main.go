// Command imageworks-loader reads and updates a layered model registry,
// tells clients how to reach each model, verifies model files against
// version locks and probes vision models. Run it with --help for the
// commands.
package main

import (
	"fmt"
	"os"
)

func main() {
	dial := builtinFleetDialer()
	if dial == nil && wantsFleet(os.Args[1:], os.Getenv) {
		// Only imageworks-loader-fleet has etcd's client (see FleetDialer).
		err := runFleetBinary(os.Args[1:], os.Getenv)
		fmt.Fprintf(os.Stderr, "%s: %v\n", toolName, err)
		os.Exit(exitFailure)
	}
	os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, DialFleet: dial}))
}
