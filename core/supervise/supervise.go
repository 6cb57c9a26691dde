package supervise

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// Defaults of Options, as in the earlier Python tool.
const (
	DefaultStateFile    = "_staging/active_vllm.json"
	DefaultPort         = 24001
	DefaultStartTimeout = 180 * time.Second
	DefaultStopTimeout  = 30 * time.Second
	DefaultPollInterval = 500 * time.Millisecond
	// LogTailLines is how many of the log's last lines a StartError
	// carries.
	LogTailLines = 20
)

// Options configure a Supervisor. The zero value of every field has a
// default.
type Options struct {
	// StateFile is the state of the server on DefaultPort (default
	// DefaultStateFile). A server on another port P has its state in the
	// same folder with ".P" before the extension (active_vllm.24002.json).
	// Logs go to that folder's logs/ folder.
	StateFile string
	// StartTimeout bounds the wait for a started server to be ready.
	StartTimeout time.Duration
	// StopTimeout is how long a stopped server has between SIGTERM and
	// SIGKILL.
	StopTimeout time.Duration
	// PollInterval is how often readiness and exits are checked.
	PollInterval time.Duration
	// HTTPClient asks the readiness check; nil means a client with a short
	// timeout.
	HTTPClient *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Environ is the environment a server starts with, before the
	// command's own; nil means os.Environ.
	Environ func() []string
}

// Supervisor starts, finds and stops servers. It is safe for concurrent
// use, and several processes may use the same state files at once: each
// port's state is guarded by an advisory lock beside its file.
type Supervisor struct {
	opts Options
}

// New returns a Supervisor with opts' defaults filled in.
func New(opts Options) *Supervisor {
	if opts.StateFile == "" {
		opts.StateFile = DefaultStateFile
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = DefaultStopTimeout
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Supervisor{opts: opts}
}

// StatePath returns the state file of port.
func (s *Supervisor) StatePath(port int) string {
	if port == DefaultPort || port == 0 {
		return s.opts.StateFile
	}
	ext := filepath.Ext(s.opts.StateFile)
	return strings.TrimSuffix(s.opts.StateFile, ext) + "." + strconv.Itoa(port) + ext
}

// LogPath returns the log file of the server on port.
func (s *Supervisor) LogPath(port int) string {
	return filepath.Join(filepath.Dir(s.opts.StateFile), "logs", "server-"+strconv.Itoa(port)+".log")
}

// lock takes port's advisory lock, waiting until ctx ends.
func (s *Supervisor) lock(ctx context.Context, port int) (*safefile.Lock, error) {
	path := s.StatePath(port) + ".lock"
	if err := mkdirFor(path); err != nil {
		return nil, err
	}
	return safefile.Acquire(ctx, path, 0, nil)
}

// Current returns the state of the server on port when it is alive, else
// nil; a state whose process is gone (or is another process now) is
// cleared. While an activation holds the port's lock, Current reads the
// state without waiting and clears nothing. With no state file, it creates
// nothing (no folder, no lock file): a question leaves no trace.
func (s *Supervisor) Current(ctx context.Context, port int) (*State, error) {
	path := s.StatePath(port)
	if st, err := readState(path); err != nil || st == nil {
		return nil, err
	}
	fl, locked, err := safefile.TryLock(path + ".lock")
	if err != nil {
		return nil, err
	}
	if locked {
		defer fl.Unlock()
	}
	// Read again: an activation may have changed it before the lock.
	st, err := readState(path)
	if err != nil || st == nil {
		return nil, err
	}
	if s.alive(*st) {
		return st, nil
	}
	if locked {
		return nil, clearState(path)
	}
	return nil, nil
}
