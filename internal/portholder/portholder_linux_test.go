package portholder

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFindsThisProcess: a socket this process listens on (IPv4, then IPv6
// where there is IPv6) is found as this process's, and a closed port is no
// one's.
func TestFindsThisProcess(t *testing.T) {
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatalf("no /proc, which Find reads on Linux: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Logf("%s: %v (skipped)", addr, err)
			continue
		}
		port := ln.Addr().(*net.TCPAddr).Port
		h, ok := Find(context.Background(), port)
		want := Holder{PID: os.Getpid(), Name: strings.TrimSpace(string(comm))}
		if !ok || h != want {
			t.Errorf("Find(%s) = %+v, %v, want %+v, true", ln.Addr(), h, ok, want)
		}
		ln.Close()
		if h, ok := Find(context.Background(), port); ok {
			t.Errorf("Find(%d) after closing = %+v, want none", port, h)
		}
	}
}

// TestFindReadsTheTables: only listening sockets on the port count, in
// either table; the lowest pid holding one wins; an unreadable process is
// passed over; an ended context finds nothing.
func TestFindReadsTheTables(t *testing.T) {
	proc := t.TempDir()
	const header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	write(t, filepath.Join(proc, "net", "tcp"), header+
		"   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 111 1\n"+ // established on 8080
		"   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1\n"+ // listening on 8081
		"   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 333 1\n") // listening on 8080
	write(t, filepath.Join(proc, "net", "tcp6"), header+
		"   0: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 444 1\n") // listening on 8082
	process(t, proc, 7, "first", "socket:[111]", "pipe:[9]")
	process(t, proc, 12, "owner", "/dev/null", "socket:[333]", "socket:[444]")
	process(t, proc, 40, "later", "socket:[333]")
	process(t, proc, 3, "hidden") // another user's: its fd folder unreadable
	if err := os.Chmod(filepath.Join(proc, "3", "fd"), 0o000); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for port, want := range map[int]Holder{8080: {12, "owner"}, 8082: {12, "owner"}} {
		if h, ok := find(ctx, proc, port); !ok || h != want {
			t.Errorf("find(%d) = %+v, %v, want %+v", port, h, ok, want)
		}
	}
	for _, port := range []int{8081, 8083} { // a listener no process shows; no listener
		if h, ok := find(ctx, proc, port); ok {
			t.Errorf("find(%d) = %+v, want none", port, h)
		}
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if h, ok := find(ended, proc, 8080); ok {
		t.Errorf("find with an ended context = %+v, want none", h)
	}
}

func write(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// process makes proc/PID with its comm and fd links to targets.
func process(t *testing.T, proc string, pid int, comm string, targets ...string) {
	t.Helper()
	dir := filepath.Join(proc, strconv.Itoa(pid))
	write(t, filepath.Join(dir, "comm"), comm+"\n")
	if err := os.MkdirAll(filepath.Join(dir, "fd"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, target := range targets {
		if err := os.Symlink(target, filepath.Join(dir, "fd", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
}
