//go:build !unix

package main

import (
	"os"
	"syscall"
)

// endingSignals are the signals the runtime can catch outside Unix.
func endingSignals() []os.Signal { return []os.Signal{os.Interrupt, syscall.SIGTERM} }

// endsWork reports whether s ends the command: every signal caught here.
func endsWork(os.Signal) bool { return true }
