package supervise

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// noReaper makes the test process a parent that never reaps, as PID 1 of
// a container without an init is: it becomes a child subreaper, so the
// orphans of the processes it starts are its children too, and
// startUnreaped's processes are never waited for (the Go runtime reaps
// nothing by itself).
func noReaper(tb testing.TB) {
	tb.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		tb.Skipf("cannot become a child subreaper: %v", err)
	}
}

// startUnreaped starts shell command script as the leader of a new session
// with fork and exec, never waiting for it, and returns the state naming
// it. Cleanup kills what is left of its group and reaps it.
func startUnreaped(tb testing.TB, script string) State {
	tb.Helper()
	st, err := forkSession("/bin/sh", "-c", script)
	if err != nil {
		tb.Fatalf("starting %q: %v", script, err)
	}
	tb.Cleanup(func() { reapGroup(st.PID) })
	return st
}

// forkSession starts argv as the leader of a new session with fork and
// exec, never waiting for it, and returns the state naming it.
func forkSession(argv ...string) (State, error) {
	pid, err := syscall.ForkExec(argv[0], argv, &syscall.ProcAttr{
		Env: os.Environ(),
		Sys: &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		return State{}, err
	}
	ticks, ok := procStart(pid)
	if !ok {
		reapGroup(pid)
		return State{}, fmt.Errorf("procStart(%d) found no process", pid)
	}
	return State{LogicalName: "m", Port: DefaultPort, PID: pid, StartedAt: PyFloat(time.Now().Unix()), StartTicks: ticks}, nil
}

// reapGroup kills process group pgid and reaps those of its members that
// are this process's children.
func reapGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.ECHILD) {
			return
		}
		if pid <= 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// members returns the processes of group pgid, with whether each is a
// zombie.
func members(tb testing.TB, pgid int) map[int]bool {
	tb.Helper()
	names, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int]bool{}
	for _, name := range names {
		pid, err := strconv.Atoi(filepath.Base(name))
		if err != nil {
			continue
		}
		if p, ok := readProcStat(pid); ok && p.pgrp == pgid {
			out[pid] = p.zombie()
		}
	}
	return out
}

// waitMembers waits until group pgid has n live members.
func waitMembers(tb testing.TB, pgid, n int) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		live := 0
		for _, z := range members(tb, pgid) {
			if !z {
				live++
			}
		}
		if live == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("group %d has %d live members, want %d", pgid, live, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestStopCountsZombiesAsStopped: where nobody reaps the stopped server and
// its children (PID 1 of a container without an init), a group whose
// members have all exited is stopped: Deactivate returns at once instead
// of waiting (seconds) for the zombies to be reaped.
func TestStopCountsZombiesAsStopped(t *testing.T) {
	noReaper(t)
	// A leader with a child in its group; both exit at once on SIGTERM,
	// and the leader never waits for its child.
	st := startUnreaped(t, "sleep 300 & exec sleep 300")
	waitMembers(t, st.PID, 2)
	dir := t.TempDir()
	s := New(Options{StateFile: filepath.Join(dir, "active_vllm.json"), StopTimeout: 10 * time.Second})
	if err := writeState(s.StatePath(st.Port), st); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	got, err := s.Deactivate(context.Background(), st.Port, "")
	took := time.Since(start)
	if err != nil || got == nil || got.PID != st.PID {
		t.Fatalf("Deactivate() = %+v, %v, want the state of %d", got, err, st.PID)
	}
	// Before zombies counted as stopped, this took the 5 s SIGKILL wait;
	// the bound is generous for a loaded machine (BenchmarkStop times it).
	if took > time.Second {
		t.Errorf("Deactivate() took %v, want well under a second", took.Round(time.Millisecond))
	}
	m := members(t, st.PID)
	if len(m) != 2 {
		t.Errorf("group %d has %d members after Deactivate, want the 2 zombies nobody reaped: %v", st.PID, len(m), m)
	}
	for pid, zombie := range m {
		if !zombie {
			t.Errorf("process %d of group %d still runs after Deactivate", pid, st.PID)
		}
	}
	if groupLive(st.PID) {
		t.Errorf("groupLive(%d) = true for a group of zombies", st.PID)
	}
	if cur, err := readState(s.StatePath(st.Port)); cur != nil || err != nil {
		t.Errorf("state after Deactivate = %+v, %v, want none", cur, err)
	}
}

// TestGroupLiveSeesEveryMember: a group whose leader has exited but whose
// other member runs is live, and stop kills that member.
func TestGroupLiveSeesEveryMember(t *testing.T) {
	noReaper(t)
	// The leader exits on SIGTERM; its child ignores it.
	st := startUnreaped(t, "(trap '' TERM; exec sleep 300) & exec sleep 300")
	waitMembers(t, st.PID, 2)
	s := New(Options{StopTimeout: 5 * time.Second})
	_ = syscall.Kill(st.PID, syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for s.alive(st) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if !groupLive(st.PID) {
		t.Fatalf("groupLive(%d) = false with a member running", st.PID)
	}
	s.stop(st)
	if groupLive(st.PID) {
		t.Errorf("groupLive(%d) = true after stop: %v", st.PID, members(t, st.PID))
	}
}

// TestStopReapsOwnServer: a server this process started is reaped by it
// once stopped (start's Wait), so a long-running process that activates
// servers (serve) leaves no zombies of its own.
func TestStopReapsOwnServer(t *testing.T) {
	dir := t.TempDir()
	s := New(Options{StateFile: filepath.Join(dir, "active_vllm.json"), StopTimeout: 5 * time.Second})
	r, err := s.start(Launch{LogicalName: "m", Port: 1, Argv: []string{"sleep", "300"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			_ = syscall.Kill(-r.state.PID, syscall.SIGKILL)
		}
	})
	s.stop(r.state)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("server %d was not reaped within 5s of stop", r.state.PID)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(r.state.PID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("server %d is left in /proc after it was reaped (stat error %v)", r.state.PID, err)
	}
}

// BenchmarkStop is how long stopping a server that exits at once on
// SIGTERM takes: "unreaped", where its parent never reaps it (PID 1 of a
// container without an init), so it stays a zombie; "reaped", where this
// process started it and reaps it (serve). Only stop is timed.
func BenchmarkStop(b *testing.B) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		b.Skipf("no sleep to stand in for a server: %v", err)
	}
	s := New(Options{StateFile: filepath.Join(b.TempDir(), "active_vllm.json"), StopTimeout: 10 * time.Second})
	b.Run("unreaped", func(b *testing.B) {
		noReaper(b)
		for b.Loop() {
			b.StopTimer()
			st, err := forkSession(sleep, "300")
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			s.stop(st)
			b.StopTimer()
			if groupLive(st.PID) {
				b.Fatalf("group %d runs after stop", st.PID)
			}
			reapGroup(st.PID)
			b.StartTimer()
		}
	})
	b.Run("reaped", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			r, err := s.start(Launch{LogicalName: "m", Port: 1, Argv: []string{sleep, "300"}})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			s.stop(r.state)
			b.StopTimer()
			<-r.exited
			b.StartTimer()
		}
	})
}
