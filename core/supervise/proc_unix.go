//go:build unix

package supervise

import (
	"context"
	"math"
	"os/exec"
	"syscall"
	"time"
)

// startSlack is how far a process's start may be from a state's
// started_at when the state has no StartTicks (the Python tool wrote it)
// for the process to count as the one the state names.
const startSlack = 10 * time.Second

// alive reports whether the process st names runs: its pid exists and its
// start time is the recorded one.
func (s *Supervisor) alive(st State) bool {
	ticks, ok := procStart(st.PID)
	if !ok {
		return false
	}
	if st.StartTicks != 0 {
		return ticks == st.StartTicks
	}
	at, ok := startedAtUnix(ticks)
	return ok && math.Abs(at-float64(st.StartedAt)) <= startSlack.Seconds()
}

// stop ends the server st names and every process of its group: SIGTERM,
// then SIGKILL after the stop timeout. A process that is not the one st
// names is never signalled.
func (s *Supervisor) stop(st State) {
	pgid := st.PID
	if s.alive(st) {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		if !s.waitGone(st, s.opts.StopTimeout) && s.alive(st) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			s.waitGone(st, 5*time.Second)
		}
	}
	// The leader is gone; what is left of its group gets SIGKILL. While
	// the leader's pid is unused, no new group can have its id.
	if _, exists := procStart(pgid); exists {
		return
	}
	if syscall.Kill(-pgid, 0) == nil {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-pgid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// waitGone waits up to d for st's process to end and reports whether it
// did.
func (s *Supervisor) waitGone(st State, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for s.alive(st) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(min(s.opts.PollInterval, 20*time.Millisecond))
	}
	return true
}

// newSession makes cmd the leader of a new session and process group, so
// it outlives this process and a terminal's signals do not reach it.
func newSession(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}

// supported reports whether servers can be supervised here.
func supported(context.Context) error { return nil }
