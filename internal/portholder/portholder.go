// Package portholder finds the process listening on a TCP port, to name it
// when a listen fails with "address already in use".
//
// It reads Linux's /proc: the listening sockets of /proc/net/tcp and
// /proc/net/tcp6 (of this process's network namespace), then the
// /proc/PID/fd links of every process this user may read, looking for the
// socket's inode. It finds nothing elsewhere, nor a process of another user
// (its fd folder is unreadable), nor under /proc mounted with hidepid.
package portholder

import "context"

// Holder is a process holding a listening socket.
type Holder struct {
	// PID is its process id.
	PID int
	// Name is its command name (/proc/PID/comm: at most 15 bytes).
	Name string
}

// Find returns the process listening on TCP port (any local address, IPv4
// or IPv6) with the lowest pid, and false when none can be found. It stops
// looking when ctx ends.
func Find(ctx context.Context, port int) (Holder, bool) {
	return find(ctx, "/proc", port)
}
