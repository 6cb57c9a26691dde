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
// names is never signalled. A process that has exited counts as stopped
// even while its parent has not reaped it (a zombie): where PID 1 is no
// init, reaping can take seconds, and nothing is left to wait for.
func (s *Supervisor) stop(st State) {
	pgid := st.PID
	if s.alive(st) {
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		if !s.waitGone(st, s.opts.StopTimeout) && s.alive(st) {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			s.waitGone(st, 5*time.Second)
		}
	}
	// The leader has exited (it may be a zombie); what is left of its
	// group gets SIGKILL. While the group has a member, no new process or
	// group can have its id.
	if _, exists := procStart(pgid); exists {
		return
	}
	if groupLive(pgid) {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		s.poll(5*time.Second, func() bool { return !groupLive(pgid) })
	}
}

// waitGone waits up to d for st's process to end and reports whether it
// did.
func (s *Supervisor) waitGone(st State, d time.Duration) bool {
	return s.poll(d, func() bool { return !s.alive(st) })
}

// firstStopPoll is the first pause of poll: a server that exits at once on
// SIGTERM is seen gone within a few milliseconds.
const firstStopPoll = time.Millisecond

// maxStopPoll bounds poll's pause.
const maxStopPoll = 20 * time.Millisecond

// poll asks done until it is true or d passes, pausing firstStopPoll
// first and twice as long each time after, up to maxStopPoll (or
// PollInterval when shorter); it reports whether done became true.
func (s *Supervisor) poll(d time.Duration, done func() bool) bool {
	deadline := time.Now().Add(d)
	pause := firstStopPoll
	for !done() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pause)
		pause = min(2*pause, maxStopPoll, s.opts.PollInterval)
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
