package portholder

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// tcpListen is the state column's value of a listening socket
// (include/net/tcp_states.h: TCP_LISTEN = 10).
const tcpListen = "0A"

func find(ctx context.Context, proc string, port int) (Holder, bool) {
	inodes := map[string]bool{}
	for _, name := range []string{"net/tcp", "net/tcp6"} {
		listeningInodes(filepath.Join(proc, name), port, inodes)
	}
	if len(inodes) == 0 {
		return Holder{}, false
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return Holder{}, false
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	for _, pid := range pids {
		if ctx.Err() != nil {
			return Holder{}, false
		}
		dir := filepath.Join(proc, strconv.Itoa(pid))
		if holds(filepath.Join(dir, "fd"), inodes) {
			comm, _ := os.ReadFile(filepath.Join(dir, "comm"))
			return Holder{PID: pid, Name: strings.TrimSpace(string(comm))}, true
		}
	}
	return Holder{}, false
}

// listeningInodes adds to inodes the socket inode of every listening
// socket on port in a /proc/net/tcp-shaped table:
//
//	sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
//	0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 12345 ...
//
// An unreadable table adds nothing.
func listeningInodes(table string, port int, inodes map[string]bool) {
	f, err := os.Open(table)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 || fields[3] != tcpListen {
			continue
		}
		_, hexPort, ok := strings.Cut(fields[1], ":")
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if !ok || err != nil || int(p) != port || fields[9] == "0" {
			continue
		}
		inodes[fields[9]] = true
	}
}

// holds reports whether one of the links in fdDir (a /proc/PID/fd) is one
// of the sockets inodes ("socket:[INODE]").
func holds(fdDir string, inodes map[string]bool) bool {
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue
		}
		if inode, ok := strings.CutPrefix(target, "socket:["); ok && inodes[strings.TrimSuffix(inode, "]")] {
			return true
		}
	}
	return false
}
