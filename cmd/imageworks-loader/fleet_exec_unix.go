//go:build unix

package main

import (
	"fmt"
	"syscall"
)

// execFleetBinary replaces this process with imageworks-loader-fleet and
// the same arguments; it returns only when that fails.
func execFleetBinary(args []string) error {
	path, err := findFleetBinary()
	if err != nil {
		return err
	}
	argv := append([]string{path}, args...)
	return fmt.Errorf("%w %s: %w", errExecFailed, path, syscall.Exec(path, argv, fleetExecEnv(path)))
}
