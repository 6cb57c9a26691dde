package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux this runs on).
const clockTick = 10 * time.Millisecond

// procCPU is the user and system CPU time process pid has used, read
// from /proc; ok false when it cannot be read (another system, or gone).
func procCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, false
	}
	// The command name, field 2, may hold spaces: count from after it.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * clockTick, true
}

// selfCPU is this process's user and system CPU time: the clients'.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// standinPID finds the process running exe with "--port port" on its
// command line: the stand-in a swapper started on that port; 0 when none.
func standinPID(exe string, port int) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	want := []byte("\x00--port\x00" + strconv.Itoa(port) + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || target != exe {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, want) {
			return pid
		}
	}
	return 0
}

// cpuMeter adds up, over runs, the CPU time of a target's processes:
// the clients (this process), the swapper (none for direct) and the
// stand-in answering.
type cpuMeter struct {
	client, swapper, server time.Duration
}

// sample is the CPU time so far of the clients, swapper pid and server
// pid (0: none).
func sample(swapper, server int) cpuMeter {
	m := cpuMeter{client: selfCPU()}
	if swapper > 0 {
		m.swapper, _ = procCPU(swapper)
	}
	if server > 0 {
		m.server, _ = procCPU(server)
	}
	return m
}

func (m cpuMeter) sub(o cpuMeter) cpuMeter {
	return cpuMeter{client: m.client - o.client, swapper: m.swapper - o.swapper, server: m.server - o.server}
}

func (m cpuMeter) add(o cpuMeter) cpuMeter {
	return cpuMeter{client: m.client + o.client, swapper: m.swapper + o.swapper, server: m.server + o.server}
}
