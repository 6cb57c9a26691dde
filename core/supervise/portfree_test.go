//go:build unix

package supervise

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestPortFreedWaitsAfterStop: right after a stop, a port still held for a
// moment (the kernel releasing a dead server's socket) is waited for; with
// nothing stopped, a held port is refused at once.
func TestPortFreedWaitsAfterStop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	s := New(Options{StateFile: t.TempDir() + "/active.json"})
	if err := s.portFreed("127.0.0.1", port, false); !errors.Is(err, ErrPortInUse) {
		t.Fatalf("portFreed(held, nothing stopped) = %v, want ErrPortInUse", err)
	}
	time.AfterFunc(150*time.Millisecond, func() { ln.Close() })
	start := time.Now()
	if err := s.portFreed("127.0.0.1", port, true); err != nil {
		t.Fatalf("portFreed(released after 150 ms, just stopped) = %v, want nil", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > portFreeAfterStop {
		t.Errorf("portFreed returned after %v", d)
	}
}
