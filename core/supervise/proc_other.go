//go:build !linux

package supervise

// procStart cannot tell a process's start time here, so no process is ever
// recognised as the one a state file names, and none is signalled.
func procStart(int) (uint64, bool) { return 0, false }

func startedAtUnix(uint64) (float64, bool) { return 0, false }
