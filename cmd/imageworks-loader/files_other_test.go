//go:build !linux

package main

import (
	"fmt"
	"os"
)

// splitCrash needs Linux (see files_linux_test.go).
func splitCrash() {
	fmt.Fprintln(os.Stderr, "iwl-split-crash needs Linux")
	os.Exit(2)
}
