//go:build !unix

package main

import "github.com/rogpeppe/go-internal/testscript"

// The fake plugins need Unix process groups and signals; scripts that use
// them start with [!unix] skip.

func runFakePlugin() bool { return false }

func cmdFakePlugin(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("fakeplugin needs a Unix system")
}

func cmdDead(ts *testscript.TestScript, neg bool, args []string) {
	ts.Fatalf("dead needs a Unix system")
}
