//go:build unix

// Package safefiletest helps tests check that code opening files by name
// never blocks on a FIFO.
package safefiletest

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// Within runs fn and fails the test when it has not returned within a
// second: a blocking open of a FIFO never returns without a writer. fn
// keeps running in its goroutine after a failure.
func Within(t testing.TB, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		t.Fatal("blocked for more than a second")
		return nil
	}
}

// MkFIFO replaces whatever is at path with a named pipe (FIFO); the test is
// skipped where FIFOs cannot be made.
func MkFIFO(t testing.TB, path string) {
	t.Helper()
	os.Remove(path)
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skipf("mkfifo %s: %v", path, err)
	}
}
