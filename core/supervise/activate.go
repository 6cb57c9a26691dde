package supervise

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/sdk"
)

// Launch is what to run for an entry and how to tell it is ready.
type Launch struct {
	// LogicalName is the registry entry served: its own name, which the
	// state records.
	LogicalName string
	// Aliases are other names of the entry (its model_aliases): a state
	// that records one of them (an older version of this tool wrote the
	// name as the user typed it) names this entry too.
	Aliases []string
	// ServedModelID is the id the server serves the model as.
	ServedModelID string
	// Backend is the entry's backend.
	Backend string
	// Host is the address the server listens on ("127.0.0.1").
	Host string
	// Port is the server's port.
	Port int
	// Argv is the program and its arguments.
	Argv []string
	// Env holds KEY=VALUE pairs added to the environment.
	Env []string
	// Dir is the working directory, or "".
	Dir string
	// ReadyPath is asked with GET until it answers ReadyStatus (0 means
	// 200).
	ReadyPath   string
	ReadyStatus int
	// Endpoint is the server's OpenAI-compatible base URL, recorded in the
	// state.
	Endpoint string
	// Waiting, when set, is called at each readiness poll with the time
	// waited so far.
	Waiting func(waited time.Duration)
	// Secrets are credentials Argv or Env carry besides the values of
	// secret flags (sdk.SecretArgs finds those). Both are masked in the
	// command line written to the log and in the log lines a StartError
	// quotes.
	Secrets []sdk.Secret
}

// secrets are every credential l's command carries: its secret flags'
// values and l.Secrets.
func (l Launch) secrets() []sdk.Secret {
	return append(sdk.SecretArgs(l.Argv), l.Secrets...)
}

// Activation is what Activate did.
type Activation struct {
	// State is the state of the running server.
	State State
	// Reused says the server already served the entry and was kept.
	Reused bool
	// Stopped is the server stopped to make room, or nil.
	Stopped *State
}

// Activate makes l's server the one running on l.Port: a live server
// already serving l.LogicalName is kept; any other server the state file
// names is stopped; then l is started in its own session with its output in
// LogPath(l.Port), and Activate waits for its readiness check, recording it
// in the state file as soon as it runs. The port's lock is held throughout,
// so activations of one port are serialised.
//
// Errors: a port taken by a process the state file does not name wraps
// ErrPortInUse (nothing is stopped); a server that exits or is not ready
// within the start timeout is stopped and reported as *StartError; a
// program that is not there is a *NoExecutableError; when
// ctx ends first the server is stopped and ctx's error returned. In every
// failure the state file names no server.
func (s *Supervisor) Activate(ctx context.Context, l Launch) (Activation, error) {
	if err := supported(ctx); err != nil {
		return Activation{}, err
	}
	if len(l.Argv) == 0 || l.Port <= 0 {
		return Activation{}, fmt.Errorf("activating %q: no command or port", l.LogicalName)
	}
	fl, err := s.lock(ctx, l.Port)
	if err != nil {
		return Activation{}, err
	}
	defer fl.Unlock()
	path := s.StatePath(l.Port)
	var out Activation
	st, err := readState(path)
	if err != nil && !errors.Is(err, ErrBadState) {
		return Activation{}, err
	}
	if st != nil && s.alive(*st) {
		if names(*st, l.LogicalName, l.Aliases) && st.Port == l.Port && (st.Ready == nil || *st.Ready) {
			if st.LogicalName != l.LogicalName {
				st.LogicalName = l.LogicalName
				if err := writeState(path, *st); err != nil {
					return Activation{}, err
				}
			}
			return Activation{State: *st, Reused: true}, nil
		}
		s.stop(*st)
		out.Stopped = st
	}
	if err := clearState(path); err != nil {
		return Activation{}, err
	}
	if err := s.portFreed(l.Host, l.Port, out.Stopped != nil); err != nil {
		return Activation{}, err
	}
	run, err := s.start(l)
	if err != nil {
		return Activation{}, err
	}
	notReady := false
	run.state.Ready = &notReady
	if err := writeState(path, run.state); err != nil {
		s.stop(run.state)
		return Activation{}, err
	}
	if err := s.waitReady(ctx, l, run); err != nil {
		s.stop(run.state)
		if cerr := clearState(path); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return Activation{}, err
	}
	run.state.Ready = nil
	if err := writeState(path, run.state); err != nil {
		s.stop(run.state)
		_ = clearState(path)
		return Activation{}, err
	}
	out.State = run.state
	return out, nil
}

// Deactivate stops the server on port and clears its state. With name
// set, the server must serve that entry (a state recording one of aliases,
// the entry's other names, does), else the error wraps ErrNotActive. It
// returns the state of the server stopped, or nil when none ran.
func (s *Supervisor) Deactivate(ctx context.Context, port int, name string, aliases ...string) (*State, error) {
	fl, err := s.lock(ctx, port)
	if err != nil {
		return nil, err
	}
	defer fl.Unlock()
	path := s.StatePath(port)
	st, err := readState(path)
	if err != nil && !errors.Is(err, ErrBadState) {
		return nil, err
	}
	if st == nil || !s.alive(*st) {
		if name != "" {
			return nil, fmt.Errorf("%q on port %d: %w (no server runs)", name, port, ErrNotActive)
		}
		return nil, clearState(path)
	}
	if name != "" && !names(*st, name, aliases) {
		return nil, fmt.Errorf("%q on port %d: %w (%q is)", name, port, ErrNotActive, st.LogicalName)
	}
	s.stop(*st)
	return st, clearState(path)
}

// names reports whether st records the entry called name, by that name or
// one of its aliases (spaces around the recorded name ignored).
func names(st State, name string, aliases []string) bool {
	rec := strings.TrimSpace(st.LogicalName)
	return rec == name || slices.Contains(aliases, rec)
}

// running is a server this process started.
type running struct {
	state  State
	exited chan struct{}
	status error // the exit status, once exited is closed
}

// start runs l in its own session with its output in its log file, which
// only the user may read (0600, also when an older run left it 0644): a
// server may print its own arguments. The command line written first has
// l's credentials masked (sdk.RedactArgs).
func (s *Supervisor) start(l Launch) (*running, error) {
	logPath := s.LogPath(l.Port)
	if err := mkdirFor(logPath); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening server log: %w", err)
	}
	defer logf.Close()
	if err := logf.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("opening server log: %w", err)
	}
	fmt.Fprintf(logf, "# %s: %s %q\n", s.opts.Now().UTC().Format(time.RFC3339), l.LogicalName, sdk.RedactArgs(l.Argv, l.Secrets...))
	cmd := exec.Command(l.Argv[0], l.Argv[1:]...)
	environ := os.Environ
	if s.opts.Environ != nil {
		environ = s.opts.Environ
	}
	cmd.Env = append(environ(), l.Env...)
	cmd.Dir = l.Dir
	cmd.Stdout, cmd.Stderr = logf, logf
	newSession(cmd)
	now := s.opts.Now()
	if err := cmd.Start(); err != nil {
		if missingProgram(cmd, err) {
			return nil, &NoExecutableError{Program: l.Argv[0], Err: err}
		}
		return nil, fmt.Errorf("starting server for %q: %w", l.LogicalName, err)
	}
	r := &running{exited: make(chan struct{})}
	go func() {
		r.status = cmd.Wait()
		close(r.exited)
	}()
	ticks, _ := procStart(cmd.Process.Pid)
	r.state = State{
		LogicalName:   l.LogicalName,
		ServedModelID: l.ServedModelID,
		Port:          l.Port,
		PID:           cmd.Process.Pid,
		StartedAt:     PyFloat(float64(now.UnixNano()) / 1e9),
		StartTicks:    ticks,
		Backend:       l.Backend,
		Endpoint:      l.Endpoint,
		LogFile:       logPath,
	}
	return r, nil
}

// missingProgram reports whether starting cmd failed for want of its
// program: a bare name not on PATH, or no file at the path (not a missing
// working directory, nor a script whose interpreter is missing).
func missingProgram(cmd *exec.Cmd, err error) bool {
	if errors.Is(err, exec.ErrNotFound) {
		return true
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" || !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	path := cmd.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(cmd.Dir, path)
	}
	_, serr := os.Stat(path)
	return errors.Is(serr, fs.ErrNotExist)
}

// DialHost is the address a client reaches a server listening on host at:
// a listen-on-every-address host ("", 0.0.0.0, ::) is reached on loopback.
func DialHost(host string) string {
	if host == "" || host == "0.0.0.0" || host == "::" {
		return "127.0.0.1"
	}
	return host
}

// waitReady polls l's readiness check until it answers, the server exits,
// the start timeout passes or ctx ends.
func (s *Supervisor) waitReady(ctx context.Context, l Launch, r *running) error {
	url := "http://" + net.JoinHostPort(DialHost(l.Host), strconv.Itoa(l.Port)) + "/" + strings.TrimPrefix(l.ReadyPath, "/")
	want := l.ReadyStatus
	if want == 0 {
		want = http.StatusOK
	}
	start := time.Now()
	timeout := time.NewTimer(s.opts.StartTimeout)
	defer timeout.Stop()
	// Poll soon after the start, then less often, up to PollInterval.
	wait := min(25*time.Millisecond, s.opts.PollInterval)
	tick := time.NewTimer(wait)
	defer tick.Stop()
	fail := func(reason string) error {
		tail := logTail(r.state.LogFile, LogTailLines)
		secrets := l.secrets()
		for i, line := range tail {
			tail[i] = sdk.RedactSecrets(line, secrets...)
		}
		return &StartError{Name: l.LogicalName, Port: l.Port, Reason: reason, LogFile: r.state.LogFile, LogTail: tail}
	}
	for {
		if ready(ctx, s.opts.HTTPClient, url, want) {
			return nil
		}
		if l.Waiting != nil {
			l.Waiting(time.Since(start))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q on port %d: %w", l.LogicalName, l.Port, ctx.Err())
		case <-r.exited:
			return fail(exitReason(r.status))
		case <-timeout.C:
			return fail(fmt.Sprintf("was not ready within %s (GET %s)", s.opts.StartTimeout, url))
		case <-tick.C:
			wait = min(2*wait, s.opts.PollInterval)
			tick.Reset(wait)
		}
	}
}

// ready reports whether GET url answers want.
func ready(ctx context.Context, hc *http.Client, url string, want int) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode == want
}

// exitReason describes how a server ended.
func exitReason(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	}
	if err != nil {
		return "ended: " + err.Error()
	}
	return "exited with status 0"
}

// portFree fails with ErrPortInUse when something listens on host:port.
func portFree(host string, port int) error {
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d: %w by a process this tool did not start (%v)", port, ErrPortInUse, errors.Unwrap(err))
	}
	return ln.Close()
}

// portFreeAfterStop bounds the wait for the port of a server just stopped:
// its process group counts as gone once every member is a zombie, but the
// kernel may release the listening socket a moment after that, while the
// last thread is torn down.
const portFreeAfterStop = 2 * time.Second

// portFreed checks that port is free; right after stopping its server
// (stopped) it polls briefly, from 1 ms doubling, before saying it is not.
func (s *Supervisor) portFreed(host string, port int, stopped bool) error {
	err := portFree(host, port)
	if err == nil || !stopped {
		return err
	}
	s.poll(portFreeAfterStop, func() bool {
		err = portFree(host, port)
		return err == nil
	})
	return err
}

// logTail returns the last n lines of the file at path.
func logTail(path string, n int) []string {
	f, _, err := safefile.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const max = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		_, _ = f.Seek(fi.Size()-max, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(bytes.ToValidUTF8(data, []byte("?"))), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func mkdirFor(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating state folder: %w", err)
	}
	return nil
}
