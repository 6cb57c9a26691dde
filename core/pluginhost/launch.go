package pluginhost

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// startBackstop is added to the start timeout for go-plugin's own timer;
// the host's watchdog fires first and kills the process group.
const startBackstop = 5 * time.Second

// start starts (or attaches to) the plugin for name.
func (h *Host) start(ctx context.Context, name string) (*instance, error) {
	if rc, ok := h.reattach[name]; ok {
		return h.attach(ctx, name, rc)
	}
	path, err := h.Find(ctx, name)
	if err != nil {
		return nil, err
	}
	return h.launch(ctx, name, path, true)
}

// launch runs the executable at path as plugin name and returns it once it
// has made its handshake; its Info is checked meanwhile (instance.wait
// returns the outcome). With pinned set, plugins.lock.json
// (when it exists) must list the binary's SHA-256.
func (h *Host) launch(ctx context.Context, name, path string, pinned bool) (*instance, error) {
	fail := func(err error, tail *stderrTail) error {
		pe := &PluginError{Plugin: name, Path: path, Err: err}
		if tail != nil {
			pe.Stderr = tail.Lines()
		}
		return pe
	}
	var secure *plugin.SecureConfig
	if pinned {
		var err error
		if secure, err = h.secureConfig(ctx, name); err != nil {
			return nil, fail(err, nil)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(fmt.Errorf("start cancelled: %w", err), nil)
	}
	sockDir, err := h.ensureSocketDir()
	if err != nil {
		return nil, fail(err, nil)
	}
	r := newGroupRunner()
	untrack, err := h.track(r)
	if err != nil {
		return nil, fail(err, nil)
	}
	defer untrack()

	tail := &stderrTail{}
	deadline := time.Now().Add(h.startTimeout)
	client := plugin.NewClient(h.clientConfig(path, sockDir, tail, h.runnerFunc(path, secure, r)))
	inst, err := h.handshake(ctx, name, path, client, r, tail, deadline)
	if err != nil {
		client.Kill()
		return nil, fail(h.startError(ctx, r, err), tail)
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		inst.close()
		return nil, fail(ErrHostClosed, tail)
	}
	return inst, nil
}

// secureConfig returns the check go-plugin makes of the binary of backend
// name, or nil when no lock file pins it. The lock file is read here for a
// clear refusal of an unlisted backend; the hash is checked right before
// the process would start (so the binary is read once).
func (h *Host) secureConfig(ctx context.Context, name string) (*plugin.SecureConfig, error) {
	sum, err := h.checkTrust(ctx, name)
	if err != nil || sum == nil {
		return nil, err
	}
	return &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()}, nil
}

// track registers r as a start in progress, for Close to kill, and returns
// the function that unregisters it; it fails with ErrHostClosed after
// Close.
func (h *Host) track(r *groupRunner) (untrack func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHostClosed
	}
	h.starting[r] = struct{}{}
	return func() {
		h.mu.Lock()
		delete(h.starting, r)
		h.mu.Unlock()
	}, nil
}

// clientConfig is go-plugin's configuration for starting the plugin at
// path: gRPC only, the host's handshake and plugin sets, the plugin's
// stderr into tail, its socket in sockDir, and run to start the process.
func (h *Host) clientConfig(path, sockDir string, tail *stderrTail, run func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error)) *plugin.ClientConfig {
	return &plugin.ClientConfig{
		HandshakeConfig:  host.Handshake(),
		VersionedPlugins: host.PluginSets(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     h.startTimeout + startBackstop,
		Stderr:           tail.writer(),
		SyncStderr:       tail.writer(),
		Logger:           newQuietLogger(h.logger.Named("plugin"), filepath.Base(path)),
		AutoMTLS:         h.mtls,
		SkipHostEnv:      true,
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: sockDir},
		RunnerFunc:       run,
	}
}

// runnerFunc returns go-plugin's RunnerFunc: it checks secure (when not
// nil) and hands the command, running path with the filtered environment,
// to r.
func (h *Host) runnerFunc(path string, secure *plugin.SecureConfig, r *groupRunner) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
		// go-plugin checks SecureConfig before it builds the command, so
		// with a RunnerFunc the runner checks it, at the same moment:
		// right before the process starts.
		if secure != nil {
			ok, err := secure.Check(path)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrPluginUntrusted, err)
			}
			if !ok {
				return nil, h.mismatch(path, secure.Checksum)
			}
		}
		cmd.Path = path
		cmd.Args = []string{path}
		// go-plugin's own variables (cookie, socket folder, ...) come last
		// and win.
		cmd.Env = append(h.pluginEnv(), cmd.Env...)
		r.setCmd(cmd)
		return r, nil
	}
}

// pluginEnv is the environment a plugin starts with: the host's, through
// the allow-list, plus the host's log level when it is more verbose than a
// plugin's default (info) and the user did not set the plugin's level.
func (h *Host) pluginEnv() []string {
	env := pluginEnv(h.environ())
	if h.getenv(host.LogLevelEnv) == "" {
		switch h.logger.GetLevel() {
		case hclog.Trace:
			env = append(env, host.LogLevelEnv+"=trace")
		case hclog.Debug:
			env = append(env, host.LogLevelEnv+"=debug")
		}
	}
	return env
}

// startFailure marks an error of the start itself (not of the process),
// reported as is.
type startFailure struct{ err error }

// Error returns the wrapped error's message.
func (e *startFailure) Error() string { return e.err.Error() }

// Unwrap returns the wrapped error.
func (e *startFailure) Unwrap() error { return e.err }

// handshake waits for the plugin's handshake under a watchdog (start
// deadline, ctx) and connects; the instance it returns checks Info in the
// background (see checkInfo).
func (h *Host) handshake(ctx context.Context, name, path string, client *plugin.Client, r *groupRunner, tail *stderrTail, deadline time.Time) (*instance, error) {
	type result struct {
		rpc plugin.ClientProtocol
		err error
	}
	ch := make(chan result, 1)
	go func() {
		rpc, err := client.Client()
		ch <- result{rpc, err}
	}()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var res result
	select {
	case res = <-ch:
	case <-timer.C:
		r.kill(killStartTimeout)
		res = <-ch
	case <-ctx.Done():
		r.kill(killCancelled)
		res = <-ch
	}
	if res.err != nil {
		return nil, res.err
	}
	backend, err := host.DispenseRemote(res.rpc)
	if err != nil {
		return nil, &startFailure{fmt.Errorf("%w: %w", ErrHandshake, err)}
	}

	inst := &instance{name: name, path: path, client: client, rpc: res.rpc, runner: r, backend: backend, tail: tail, ready: make(chan struct{})}
	go h.checkInfo(ctx, inst, deadline)
	return inst, nil
}

// checkInfo asks a started plugin for its Info, under the start deadline,
// while the first call may already be on its way over the same
// connection (which saves a round trip per start), and marks inst ready.
// A plugin that does not answer, answers with an error or under another
// name is killed, and its start error is kept for every call to return
// instead of its result. The caller's cancellation does not stop the
// check: each call waits for it under its own context.
func (h *Host) checkInfo(ctx context.Context, inst *instance, deadline time.Time) {
	err := h.askName(context.WithoutCancel(ctx), inst, deadline)
	if err != nil {
		inst.client.Kill()
		err = &PluginError{Plugin: inst.name, Path: inst.path, Err: h.startError(ctx, inst.runner, err), Stderr: inst.tail.Lines()}
	}
	inst.startErr = err
	close(inst.ready)
}

// askName asks inst for its Info and checks its name; it records the Info
// in inst.
func (h *Host) askName(ctx context.Context, inst *instance, deadline time.Time) error {
	infoCtx, cancel := context.WithDeadlineCause(ctx, deadline, errStartDeadline)
	defer cancel()
	info, err := inst.backend.Info(infoCtx)
	if err != nil {
		switch {
		case hostDeadline(ctx, infoCtx, deadline, errStartDeadline, err):
			inst.runner.kill(killStartTimeout)
		case errors.Is(err, host.ErrTransport):
			inst.runner.waitExit(time.Second)
		}
		return &startFailure{fmt.Errorf("%w: Info: %w", ErrHandshake, err)}
	}
	if info.Name != inst.name {
		return &startFailure{fmt.Errorf("%w: Info says its name is %q, but its file name says %q", ErrNameMismatch, info.Name, inst.name)}
	}
	inst.info = info
	return nil
}

// errStartDeadline is the cause of a start's context when the start
// timeout expires.
var errStartDeadline = errors.New("start timeout")

// startError turns the failure of a start into the error a PluginError
// wraps, from what the runner saw.
func (h *Host) startError(ctx context.Context, r *groupRunner, err error) error {
	switch r.killedFor() {
	case killCancelled:
		return fmt.Errorf("start cancelled: %w", ctx.Err())
	case killClosed:
		return ErrHostClosed
	case killStartTimeout:
		what := "no handshake"
		if looksLikeHandshake(r.first.String()) {
			what = "handshake but no answer to Info"
		}
		return fmt.Errorf("%w: %s within %s (set %s to wait longer)", ErrPluginTimeout, what, h.startTimeout, EnvStartTimeout)
	}
	if errors.Is(err, ErrPluginUntrusted) {
		return err
	}
	var sf *startFailure
	if errors.As(err, &sf) {
		if st := r.exitState(); st != nil && errors.Is(err, host.ErrTransport) {
			return fmt.Errorf("%w: exited during its start (%s)", ErrPluginCrashed, st)
		}
		return sf.err
	}
	if !r.started() {
		return fmt.Errorf("%w: cannot run: %w", ErrPluginCrashed, err)
	}
	if line := r.first.String(); line != "" && !looksLikeHandshake(line) {
		return fmt.Errorf("%w: printed %q instead of a handshake", ErrHandshake, truncate(line, 120))
	}
	if v, ok := unknownProtocol(r.first.String()); ok {
		return protocolError(v)
	}
	if st := r.exitState(); st != nil && !killedBySIGKILL(st) {
		return fmt.Errorf("%w: exited before the handshake (%s)", ErrPluginCrashed, st)
	}
	return fmt.Errorf("%w: %w", ErrHandshake, firstLineError{err})
}

// firstLineError shows only the first line of err (go-plugin's handshake
// errors run over several lines) and keeps err matchable.
type firstLineError struct{ err error }

// Error returns the first line of the wrapped error's message.
func (e firstLineError) Error() string { return firstLineOf(e.err.Error()) }

// Unwrap returns the wrapped error.
func (e firstLineError) Unwrap() error { return e.err }

// unknownProtocol returns the protocol version a handshake line offers
// when it is a number this host has no plugin set for.
func unknownProtocol(line string) (int, bool) {
	parts := strings.Split(strings.TrimSpace(line), "|")
	if len(parts) < 4 {
		return 0, false
	}
	v, err := strconv.Atoi(parts[1])
	if err != nil {
		return 0, false
	}
	_, known := host.PluginSets()[v]
	return v, !known
}

// protocolError says which protocol the plugin speaks, which ones this host
// speaks, and what to upgrade.
func protocolError(v int) error {
	ours := slices.Sorted(maps.Keys(host.PluginSets()))
	what := "the plugin is too old for this imageworks-loader: rebuild it against a current sdk"
	if v > ours[len(ours)-1] {
		what = "the plugin is newer than this imageworks-loader: upgrade imageworks-loader"
	}
	return fmt.Errorf("%w: %w: it speaks protocol %d, this host speaks %s; %s",
		ErrHandshake, ErrPluginProtocol, v, strings.Trim(fmt.Sprint(ours), "[]"), what)
}

// looksLikeHandshake reports whether a stdout line has the shape of
// go-plugin's handshake: CORE|APP|NETWORK|ADDR|PROTOCOL...
func looksLikeHandshake(line string) bool {
	return len(strings.Split(strings.TrimSpace(line), "|")) >= 4
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func firstLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// attach connects to a plugin started by hand in debug mode, as described
// by IMAGEWORKS_REATTACH_BACKENDS. The host never kills such a process.
func (h *Host) attach(ctx context.Context, name string, rc *plugin.ReattachConfig) (*instance, error) {
	fail := func(err error) error { return &PluginError{Plugin: name, Err: err} }
	cfg, err := h.attachConfig(name, rc)
	if err != nil {
		return nil, fail(err)
	}
	client := plugin.NewClient(cfg)
	rpc, err := client.Client()
	if err != nil {
		return nil, fail(fmt.Errorf("%w: attaching through %s: %w", ErrPluginCrashed, EnvReattach, err))
	}
	backend, err := host.DispenseRemote(rpc)
	if err != nil {
		closeConn(rpc)
		return nil, fail(fmt.Errorf("%w: %w", ErrHandshake, err))
	}
	infoCtx, cancel := context.WithTimeout(ctx, h.startTimeout)
	defer cancel()
	info, err := backend.Info(infoCtx)
	inst := &instance{name: name, client: client, rpc: rpc, backend: backend, info: info, attached: true, tail: &stderrTail{}}
	if err != nil {
		inst.close()
		if errors.Is(err, host.ErrTransport) {
			return nil, fail(fmt.Errorf("%w: %w", ErrPluginCrashed, err)) // err says "Info: "
		}
		return nil, fail(fmt.Errorf("%w: Info: %w", ErrHandshake, err))
	}
	if info.Name != name {
		inst.close()
		return nil, fail(fmt.Errorf("%w: Info says its name is %q, but %s attaches it as %q", ErrNameMismatch, info.Name, EnvReattach, name))
	}
	return inst, nil
}

// attachConfig is go-plugin's configuration for attaching to backend name
// as rc describes, with the plugin set of rc's protocol version (the sdk's
// when rc gives none), or an ErrHandshake error when the host does not
// speak that version.
func (h *Host) attachConfig(name string, rc *plugin.ReattachConfig) (*plugin.ClientConfig, error) {
	rcCopy := *rc
	rcCopy.Test = true // the developer owns the process: never kill it
	version := rcCopy.ProtocolVersion
	if version == 0 {
		version = sdk.ProtocolVersion
	}
	plugins, ok := host.PluginSets()[version]
	if !ok {
		return nil, fmt.Errorf("%w: %s gives protocol version %d, which this host does not speak", ErrHandshake, EnvReattach, version)
	}
	rcCopy.ProtocolVersion = version
	return &plugin.ClientConfig{
		HandshakeConfig:  host.Handshake(),
		Plugins:          plugins,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Reattach:         &rcCopy,
		Logger:           newQuietLogger(h.logger.Named("plugin"), name),
	}, nil
}

var _ host.Remote = (*pluginBackend)(nil)
