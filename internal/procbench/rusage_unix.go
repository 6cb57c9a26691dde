//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// faults is how many pages the finished process (and the children it
// reaped) faulted in, minor and major.
func faults(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return int64(ru.Minflt) + int64(ru.Majflt)
}

// maxRSS is the largest resident set of the finished process, in bytes.
func maxRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) // bytes there
	}
	return int64(ru.Maxrss) * 1024 // KiB elsewhere
}
