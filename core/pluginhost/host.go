package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// Options configures a Host. The zero value is usable: production defaults
// everywhere.
type Options struct {
	// Dirs are --plugin-dir values, searched first, in order.
	Dirs []string
	// Getenv reads the environment; nil means os.Getenv. The Host reads
	// IMAGEWORKS_PLUGIN_PATH, XDG_DATA_HOME, HOME,
	// IMAGEWORKS_PLUGIN_START_TIMEOUT, IMAGEWORKS_REATTACH_BACKENDS and
	// IMAGEWORKS_PLUGIN_MTLS through it.
	Getenv func(string) string
	// Environ lists the environment (KEY=VALUE) that plugins inherit,
	// after filtering through the allow-list; nil means os.Environ.
	Environ func() []string
	// ExecutableDir is the folder of the running imageworks-loader; ""
	// means the folder of os.Executable() (symlinks resolved).
	ExecutableDir string
	// PinFile is the plugin pin file's path (plugins.lock.json); pinning
	// applies when the file exists. "" disables pinning.
	PinFile string
	// Logger receives the host's and the plugins' logs; nil discards them.
	// At debug or trace level, plugins log at that level too (unless
	// IMAGEWORKS_PLUGIN_LOG_LEVEL says otherwise).
	Logger hclog.Logger
	// StartTimeout bounds a plugin's start: launch, handshake and Info.
	// 0 means IMAGEWORKS_PLUGIN_START_TIMEOUT or DefaultStartTimeout.
	StartTimeout time.Duration
	// CallTimeout is the deadline of every call to a plugin; 0 means
	// DefaultCallTimeout. ProbeVision gets its request's own Timeout plus a
	// few seconds when that is longer (two minutes when it has none).
	CallTimeout time.Duration
}

// Host finds, starts and supervises backend plugins. It is safe for
// concurrent use. Close it to kill every plugin it started.
type Host struct {
	opts    Options
	getenv  func(string) string
	environ func() []string
	logger  hclog.Logger
	goos    string

	startTimeout time.Duration
	callTimeout  time.Duration
	configErr    error // a bad environment variable, reported on use
	reattach     map[string]*plugin.ReattachConfig
	mtls         bool

	mu        sync.Mutex
	closed    bool
	closeDone chan struct{} // closed when the first Close has finished
	closeErr  error
	slots     map[string]*slot
	starting  map[*groupRunner]struct{}
	socketDir string
	hashes    map[fileKey]string
}

// slot holds the one plugin instance of a backend name, or the error of
// its start. done is closed once the start has finished.
type slot struct {
	done chan struct{}
	inst *instance
	err  error
	// cancelled is set when the start failed because its caller's context
	// ended; such a failure is not remembered (the next call starts again).
	// A failure that merely wraps a timeout (a dial's, say) is remembered.
	cancelled bool
}

// New returns a Host configured by opts. It starts nothing; a bad
// IMAGEWORKS_PLUGIN_START_TIMEOUT or IMAGEWORKS_REATTACH_BACKENDS value is
// reported by the first Backend or List call.
func New(opts Options) *Host {
	h := &Host{
		opts:      opts,
		getenv:    opts.Getenv,
		environ:   opts.Environ,
		logger:    opts.Logger,
		goos:      runtime.GOOS,
		slots:     map[string]*slot{},
		starting:  map[*groupRunner]struct{}{},
		hashes:    map[fileKey]string{},
		closeDone: make(chan struct{}),
	}
	if h.getenv == nil {
		h.getenv = os.Getenv
	}
	if h.environ == nil {
		h.environ = os.Environ
	}
	if h.logger == nil {
		h.logger = hclog.NewNullLogger()
	}
	h.startTimeout = opts.StartTimeout
	if h.startTimeout <= 0 {
		h.startTimeout = DefaultStartTimeout
		if s := h.getenv(EnvStartTimeout); s != "" {
			d, err := parseStartTimeout(s)
			if err != nil {
				h.configErr = err
			} else {
				h.startTimeout = d
			}
		}
	}
	h.callTimeout = opts.CallTimeout
	if h.callTimeout <= 0 {
		h.callTimeout = DefaultCallTimeout
	}
	if s := h.getenv(EnvReattach); s != "" {
		rc, err := host.ParseReattach(s)
		if err != nil {
			h.configErr = errors.Join(h.configErr, fmt.Errorf("%s: %w", EnvReattach, err))
		}
		h.reattach = rc
	}
	h.mtls = h.goos == "windows" || parseBoolEnv(h.getenv(EnvMTLS))
	return h
}

// Backend returns the backend served by plugin imageworks-backend-NAME
// (or attached through IMAGEWORKS_REATTACH_BACKENDS), starting the plugin on
// first use; later calls share the running plugin, and start a new one if
// it has died. ctx bounds the start only: cancelling it while the plugin
// starts kills the plugin.
//
// The returned Backend puts a deadline on every call and turns a crash or
// a timeout into a *PluginError; errors the plugin itself returns come back
// as they are (matching the sdk sentinels with errors.Is).
//
// Errors: *NotFoundError (ErrPluginNotFound); *PluginError wrapping
// ErrPluginUntrusted, ErrPluginCrashed, ErrPluginTimeout, ErrHandshake,
// ErrNameMismatch, or the ctx's error; ErrHostClosed after Close; a
// configuration error for a bad environment variable. Failures other than
// a cancelled ctx are remembered: the Host does not retry them.
//
// Backend returns once the plugin has made its handshake: the plugin's
// Info (its name checked against its file name) is asked at the same
// time as the first call, which saves a round trip per start. A plugin
// refused then (ErrNameMismatch, ErrHandshake, or ErrPluginTimeout: no
// answer to Info) fails that first call, and every later Backend call,
// with the same *PluginError; no result of the refused plugin is returned.
func (h *Host) Backend(ctx context.Context, name string) (sdk.Backend, error) {
	inst, err := h.instance(ctx, name)
	if err != nil {
		return nil, err
	}
	return &pluginBackend{h: h, inst: inst}, nil
}

func (h *Host) instance(ctx context.Context, name string) (*instance, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	for {
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			return nil, fmt.Errorf("starting plugin %s: %w", name, ErrHostClosed)
		}
		s := h.slots[name]
		if s == nil {
			s = &slot{done: make(chan struct{})}
			h.slots[name] = s
			h.mu.Unlock()
			s.inst, s.err = h.start(ctx, name)
			s.cancelled = s.err != nil && ctx.Err() != nil
			if s.cancelled {
				h.dropSlot(name, s)
			}
			close(s.done)
			return s.inst, s.err
		}
		h.mu.Unlock()
		select {
		case <-s.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("starting plugin %s: %w", name, ctx.Err())
		}
		switch {
		case s.err != nil && !s.cancelled:
			return nil, s.err
		case s.err == nil:
			if err := s.inst.refused(); err != nil {
				return nil, err
			}
			if !s.inst.dead() {
				return s.inst, nil
			}
			// Dead during its start: that start's error, once known.
			if err := s.inst.wait(ctx); err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("starting plugin %s: %w", name, err)
				}
				return nil, err
			}
		}
		// The start was cancelled by another caller, or the plugin died:
		// start it again.
		if h.dropSlot(name, s) && s.inst != nil {
			s.inst.close() // releases the dead plugin's connection
		}
	}
}

// dropSlot forgets slot s of name, reporting whether it was still there.
func (h *Host) dropSlot(name string, s *slot) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.slots[name] == s {
		delete(h.slots, name)
		return true
	}
	return false
}

// Close kills every plugin the Host started, process group and all
// (attached plugins are only disconnected), waits for them to be gone,
// and removes the Host's socket folder. It is safe to call more than once
// and concurrently with other calls, for example from a signal handler;
// every call returns once the plugins are gone. Afterwards Backend fails
// with ErrHostClosed. It returns the error of removing the socket folder,
// if any.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		<-h.closeDone
		return h.closeErr
	}
	h.closed = true
	slots := make([]*slot, 0, len(h.slots))
	for _, s := range h.slots {
		slots = append(slots, s)
	}
	for r := range h.starting {
		r.kill(killClosed)
	}
	dir := h.socketDir
	h.mu.Unlock()

	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-s.done
			if s.inst != nil {
				s.inst.close()
			}
		}()
	}
	wg.Wait()
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			h.closeErr = fmt.Errorf("removing plugin socket folder: %w", err)
		}
	}
	close(h.closeDone)
	return h.closeErr
}

// ensureSocketDir creates, once per Host, the private folder (mode 0700,
// whatever the umask) in which plugins create their Unix sockets.
func (h *Host) ensureSocketDir() (string, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return "", ErrHostClosed
	}
	if h.socketDir != "" {
		return h.socketDir, nil
	}
	base := os.TempDir()
	if h.goos != "windows" { // Windows plugins listen on TCP
		base = socketBase(base)
	}
	dir, err := os.MkdirTemp(base, "imageworks-plugins-")
	if err != nil {
		return "", fmt.Errorf("creating plugin socket folder: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("creating plugin socket folder: %w", err)
	}
	h.socketDir = dir
	return dir, nil
}

// maxSocketPath is the longest Unix socket path every platform accepts
// (sun_path is 104 bytes on the BSDs and macOS, 108 on Linux, NUL included).
const maxSocketPath = 103

// socketBase returns tmp, or /tmp when the socket go-plugin creates below a
// folder in tmp (plugin-dirNNN/pluginNNN) would be longer than a Unix
// socket path may be: a long TMPDIR must not stop plugins from starting.
func socketBase(tmp string) string {
	longest := filepath.Join(tmp, "imageworks-plugins-0123456789", "plugin-dir0123456789", "plugin0123456789")
	if len(longest) > maxSocketPath {
		return "/tmp"
	}
	return tmp
}
