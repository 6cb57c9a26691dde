//go:build unix

package main

import (
	"os"
	"syscall"
)

// endingSignals are the signals whose default action ends the process,
// short of SIGKILL and of faults in the program itself. SIGPIPE is among
// them: caught, a write to a closed pipe fails with EPIPE instead of
// killing the process before it cleans up.
func endingSignals() []os.Signal {
	return []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE}
}

// endsWork reports whether s ends the command: all of endingSignals but
// SIGPIPE, which a closed plugin socket raises as well as a closed stdout.
func endsWork(s os.Signal) bool { return s != syscall.SIGPIPE }
