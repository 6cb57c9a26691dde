//go:build !unix

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

// execFleetBinary runs imageworks-loader-fleet with the same arguments and
// streams and exits with its status (no exec(2) here); it returns only
// when it cannot be started.
func execFleetBinary(args []string) error {
	path, err := findFleetBinary()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = fleetExecEnv(path)
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		os.Exit(ee.ExitCode())
	}
	if err != nil {
		return fmt.Errorf("%w %s: %w", errExecFailed, path, err)
	}
	os.Exit(0)
	return nil
}
