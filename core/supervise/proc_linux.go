package supervise

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat's start time; it is 100
// on every Linux architecture Go supports.
const clockTicks = 100

// procStart returns the start time of process pid in clock ticks since
// boot, and whether the process exists and is not a zombie.
func procStart(pid int) (uint64, bool) {
	p, ok := readProcStat(pid)
	if !ok || p.zombie() {
		return 0, false
	}
	return p.startTicks, true
}

// procStat is what this package reads of /proc/PID/stat.
type procStat struct {
	state      byte   // field 3: R, S, D, Z (zombie), X (dead), ...
	pgrp       int    // field 5: the process group
	startTicks uint64 // field 22: the start time in clock ticks since boot
}

// zombie reports whether the process has exited (and waits to be reaped).
func (p procStat) zombie() bool { return p.state == 'Z' || p.state == 'X' }

// readProcStat reads /proc/PID/stat; false when the process does not
// exist (or the file cannot be read as one).
func readProcStat(pid int) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name (field 2) may hold spaces and parentheses: the
	// fields after it start after the last ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state), so field 5 (pgrp) is f[2] and field 22
	// (starttime) is f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, false
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, false
	}
	ticks, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, false
	}
	return procStat{state: f[0][0], pgrp: pgrp, startTicks: ticks}, true
}

// groupLive reports whether process group pgid has a member that has not
// exited. A member that has exited but that its parent has not reaped yet
// (a zombie: where PID 1 is no init, that can take seconds) still makes
// kill(-pgid, 0) succeed, so the members are read from /proc: the leader
// first, then, when it is no longer a live member, every process.
func groupLive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	if p, ok := readProcStat(pgid); ok && p.pgrp == pgid && !p.zombie() {
		return true
	}
	dir, err := os.Open("/proc")
	if err != nil {
		return true // cannot tell: kill said the group exists
	}
	defer dir.Close()
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return true
	}
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == pgid {
			continue
		}
		if p, ok := readProcStat(pid); ok && p.pgrp == pgid && !p.zombie() {
			return true
		}
	}
	return false
}

// bootTime returns the system's boot time in Unix seconds (/proc/stat
// btime).
func bootTime() (int64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/stat has no btime")
}

// startedAtUnix returns the Unix time of a process start given in ticks.
func startedAtUnix(ticks uint64) (float64, bool) {
	bt, err := bootTime()
	if err != nil {
		return 0, false
	}
	return float64(bt) + float64(ticks)/clockTicks, true
}
