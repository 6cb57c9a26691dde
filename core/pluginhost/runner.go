package pluginhost

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin/runner"
)

// pipeGrace is how long the plugin's stdout and stderr may stay open after
// its process group was killed (a process that escaped the group can hold
// them) before reads give up.
const pipeGrace = 500 * time.Millisecond

// killReason records why the host killed a plugin, for the error it
// reports.
type killReason int

const (
	notKilled killReason = iota
	killStartTimeout
	killCallTimeout
	killCancelled
	killClosed
	killByGoPlugin // go-plugin's own kill after a failed handshake or on Kill
)

// groupRunner is a go-plugin runner.Runner that starts the plugin in a
// process group of its own, kills the whole group, reaps the process as
// soon as it exits, and never lets a process that holds the plugin's
// stdout or stderr open block the host.
type groupRunner struct {
	cmd  *exec.Cmd
	name string

	stdoutR, stderrR *os.File
	first            *firstLine

	done    chan struct{} // closed once the process was reaped
	drained chan struct{} // closed once go-plugin has read all output
	waitErr error
	state   *os.ProcessState

	mu     sync.Mutex
	reason killReason
	pid    int
}

var _ runner.Runner = (*groupRunner)(nil)

// newGroupRunner returns a runner for a command to be set with setCmd. A
// kill before Start makes Start fail without running anything.
func newGroupRunner() *groupRunner {
	return &groupRunner{done: make(chan struct{}), drained: make(chan struct{}), first: &firstLine{}}
}

func (r *groupRunner) setCmd(cmd *exec.Cmd) {
	r.cmd = cmd
	r.name = cmd.Path
}

// Start starts the plugin with stdin from the null device and its stdout and
// stderr on pipes the runner owns. It fails if the runner was killed
// before.
func (r *groupRunner) Start(context.Context) error {
	if r.killedFor() != notKilled {
		return errKilledBeforeStart
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = outR.Close()
		_ = outW.Close()
		return err
	}
	r.cmd.Stdin = nil
	r.cmd.Stdout = outW
	r.cmd.Stderr = errW
	setProcessGroup(r.cmd)
	err = r.cmd.Start()
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		_ = outR.Close()
		_ = errR.Close()
		return err
	}
	r.stdoutR, r.stderrR = outR, errR
	r.mu.Lock()
	r.pid = r.cmd.Process.Pid
	killedMeanwhile := r.reason != notKilled
	r.mu.Unlock()
	go r.reap()
	if killedMeanwhile {
		killGroup(r.cmd.Process)
		r.expirePipes()
	}
	return nil
}

// reap waits for the process, then kills what is left of its group and
// bounds how long the pipes may stay open.
func (r *groupRunner) reap() {
	err := r.cmd.Wait()
	r.waitErr = err
	r.state = r.cmd.ProcessState
	killGroup(r.cmd.Process)
	r.expirePipes()
	close(r.done)
}

func (r *groupRunner) expirePipes() {
	deadline := time.Now().Add(pipeGrace)
	for _, f := range []*os.File{r.stdoutR, r.stderrR} {
		if f == nil {
			continue
		}
		if f.SetReadDeadline(deadline) != nil {
			_ = f.Close()
		}
	}
}

// Wait waits until the process was reaped, closes the pipes and returns
// the process's exit error. go-plugin calls it once, after reading the
// plugin's stdout and stderr to their end.
func (r *groupRunner) Wait(context.Context) error {
	<-r.done
	_ = r.stdoutR.Close()
	_ = r.stderrR.Close()
	close(r.drained)
	return r.waitErr
}

// Kill is go-plugin's kill: the whole process group.
func (r *groupRunner) Kill(context.Context) error {
	r.kill(killByGoPlugin)
	return nil
}

// kill kills the process group, recording the first reason given.
func (r *groupRunner) kill(reason killReason) {
	r.mu.Lock()
	if r.reason == notKilled {
		r.reason = reason
	}
	started := r.pid != 0
	r.mu.Unlock()
	if !started {
		return
	}
	select {
	case <-r.done:
		return // reaped: the group was killed then
	default:
	}
	killGroup(r.cmd.Process)
	r.expirePipes()
}

// killedFor returns why the host killed the plugin, or notKilled.
func (r *groupRunner) killedFor() killReason {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// exited reports whether the process has been reaped.
func (r *groupRunner) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Stdout is the plugin's stdout, its first line recorded for startError.
func (r *groupRunner) Stdout() io.ReadCloser {
	return readCloser{io.TeeReader(r.stdoutR, r.first), r.stdoutR}
}

// Stderr is the plugin's stderr.
func (r *groupRunner) Stderr() io.ReadCloser { return r.stderrR }

// Name is the executable's path.
func (r *groupRunner) Name() string { return r.name }

// ID is the process id, "" before Start.
func (r *groupRunner) ID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pid == 0 {
		return ""
	}
	return strconv.Itoa(r.pid)
}

// Diagnose adds nothing: the host reports stderr lines itself.
func (r *groupRunner) Diagnose(context.Context) string { return "" }

// PluginToHost translates nothing: the plugin runs on this machine.
func (r *groupRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }

// HostToPlugin translates nothing: the plugin runs on this machine.
func (r *groupRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }

// errKilledBeforeStart is the error of Start after a kill.
var errKilledBeforeStart = errors.New("plugin killed before it started")

// started reports whether the process was started.
func (r *groupRunner) started() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid != 0
}

// exitState returns the process state once reaped, else nil.
func (r *groupRunner) exitState() *os.ProcessState {
	if !r.exited() {
		return nil
	}
	return r.state
}

// waitExit waits up to d for the process to be reaped and its last output
// read, and reports whether it was reaped.
func (r *groupRunner) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.drained:
		return true
	case <-t.C:
		return r.exited()
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// firstLine records the first line (up to 512 bytes) the plugin prints on
// stdout, to tell "printed text instead of a handshake" from a crash.
type firstLine struct {
	mu   sync.Mutex
	buf  []byte
	done bool
}

// Write records p up to the end of the first line; it never fails.
func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range p {
		if f.done {
			break
		}
		if c == '\n' || len(f.buf) >= 512 {
			f.done = true
			break
		}
		f.buf = append(f.buf, c)
	}
	return len(p), nil
}

// String returns the first line recorded so far, without its newline.
func (f *firstLine) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.buf)
}
