// Package core is imageworks-loader as a library: it opens a layered model
// registry, tells clients how to reach each model through backends
// (in-process or plugins), verifies model files against version locks, and
// probes vision models.
//
// A Loader is the facade an embedder uses:
//
//	l, err := core.Open(ctx, core.Options{RegistryDir: "configs"})
//	if err != nil { ... }
//	defer l.Close()
//	sel, err := l.Select(ctx, "qwen2.5-vl-7b", core.SelectOptions{Require: []string{"vision"}})
//
// The package never prints, exits or reads flags; everything it needs from
// the environment comes through Options.
package core

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/sdk"
)

// Options configure a Loader. The zero value of every field has a
// production default.
type Options struct {
	// RegistryDir is the layered registry directory. Ignored when
	// RegistryFile is set.
	RegistryDir string
	// RegistryFile selects single-file mode: that one file is loaded and
	// saved.
	RegistryFile string
	// AllowDuplicates permits duplicate names in single-file mode.
	AllowDuplicates bool
	// Backends are in-process backends keyed by backend name. They take
	// precedence over Source's backends of the same name.
	Backends map[string]sdk.Backend
	// Source is where backends come from (see BackendSource). Nil means
	// the plugin host: plugins found on the search path, started on first
	// use and stopped by Close. A Source given here belongs to the caller:
	// Close does not close it, so one Source may serve many Loaders.
	Source BackendSource
	// PluginDirs are searched for plugins before anything else.
	PluginDirs []string
	// ExecutableDir is searched for plugins after IMAGEWORKS_PLUGIN_PATH;
	// the CLI passes its own folder. Empty means the folder of the running
	// executable.
	ExecutableDir string
	// Getenv reads the environment (plugin search path, timeouts, API keys).
	// Nil means os.Getenv.
	Getenv func(string) string
	// Logger receives diagnostics. Nil discards them.
	Logger hclog.Logger
	// Now is the clock for timestamps. Nil means time.Now.
	Now func() time.Time
	// HashWorkers bounds parallel file hashing; 0 means one per CPU.
	HashWorkers int
	// Rand returns a uniformly random int in [0, n); it draws the vision
	// challenge's colours. It must be safe for concurrent use. Nil means
	// math/rand/v2.IntN.
	Rand func(n int) int
	// ReadOnly opens the registry without writing anything (no snapshot
	// regeneration); for dry runs.
	ReadOnly bool
	// ActiveState is the state file of the servers Activate starts (see
	// LifecycleOptions); Select reads it to answer with the endpoint an
	// active model runs on. "" means DefaultStateFile(the options).
	ActiveState string
	// Fleet is the state this host shares with others (see package
	// core/fleet). Nil means no fleet: nothing of it runs.
	Fleet fleet.Fleet
	// HostID names this host in the fleet; "" means the host name.
	HostID string
	// Advertise is the host name or address other hosts reach this
	// host's servers at; "" means HostID. A loopback endpoint such as
	// http://127.0.0.1:8000/v1 is published as http://ADVERTISE:8000/v1.
	Advertise string
}

// DefaultStateFile is the state file of the servers Activate starts when
// the options name none: _staging/active_vllm.json in the folder that
// holds the registry directory (for single-file mode, the registry file's
// folder), made absolute. The earlier Python tool kept it there when run
// from its repository root with configs/ as the registry, so both tools
// share it, and every command finds it whatever the working directory.
func DefaultStateFile(opts Options) string {
	dir := opts.registryDir()
	if opts.RegistryFile != "" {
		dir = filepath.Dir(opts.RegistryFile)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(filepath.Dir(dir), filepath.FromSlash(supervise.DefaultStateFile))
}

// stateFile is the state file of the Loader's servers.
func (l *Loader) stateFile() string {
	if l.opts.ActiveState != "" {
		return l.opts.ActiveState
	}
	return DefaultStateFile(l.opts)
}

// Loader is an open registry plus the backends that serve its entries. It is
// safe for concurrent use. Close it to stop any plugin it started.
type Loader struct {
	opts Options
	reg  *registry.Registry
	log  hclog.Logger

	// source answers backend lookups: Backends first, then opts.Source
	// or the plugin host.
	source BackendSource

	mu     sync.Mutex
	host   *pluginhost.Host // started on first use of a plugin
	closed bool

	secrets atomic.Pointer[secretCache] // what Secrets found last
}

// Open loads the registry named by opts and returns a Loader. Errors wrap
// the registry's (registry.ErrNoRegistry, *registry.ParseError, ...).
// No plugin is started until a call needs one.
func Open(ctx context.Context, opts Options) (*Loader, error) {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ropts := registry.Options{Logger: log.Named("registry"), AllowDuplicates: opts.AllowDuplicates, Now: opts.Now, ReadOnly: opts.ReadOnly}
	var (
		reg *registry.Registry
		err error
	)
	if opts.RegistryFile != "" {
		reg, err = registry.OpenFile(ctx, opts.RegistryFile, ropts)
	} else {
		reg, err = registry.Open(ctx, opts.registryDir(), ropts)
	}
	if err != nil {
		return nil, err
	}
	// The caller keeps its map and slice; the Loader works on copies.
	opts.Backends = maps.Clone(opts.Backends)
	opts.PluginDirs = slices.Clone(opts.PluginDirs)
	l := &Loader{opts: opts, reg: reg, log: log}
	var src BackendSource = opts.Source
	if src == nil {
		src = hostSource{l}
	}
	if len(opts.Backends) > 0 {
		src = FirstOf(InProcess(opts.Backends), src)
	}
	l.source = src
	return l, nil
}

// hostSource is the default BackendSource: the Loader's own plugin host.
type hostSource struct{ l *Loader }

func (s hostSource) Backend(ctx context.Context, name string) (sdk.Backend, error) {
	h, err := s.l.plugins()
	if err != nil {
		return nil, err
	}
	return h.Backend(ctx, name)
}

// Entries returns the registry's merged entries, deprecated ones too,
// sorted by name. A layer changed on disk since it was read is re-read
// first; if that fails the previous state is returned (Entry returns the
// failure). An entry is read-only and never changes in place: an edit or
// a re-read makes a new one, so a caller may key a cache by the pointer.
// Edits go through Add, Set, Remove, Lock and the other writing methods.
func (l *Loader) Entries(ctx context.Context) []*registry.Entry { return l.reg.Entries(ctx) }

// Entry returns the entry named name (surrounding spaces ignored), else
// the one entry that lists name in model_aliases, as Select finds it.
// Errors: a *registry.NotFoundError (registry.ErrNotFound) with the
// closest names as suggestions; a *registry.AliasError
// (registry.ErrAmbiguousAlias) when several entries claim the alias; a
// re-read failure (*registry.ParseError, I/O).
func (l *Loader) Entry(ctx context.Context, name string) (*registry.Entry, error) {
	return l.reg.Get(ctx, name)
}

// Close stops every plugin the Loader started. It is safe to call more
// than once.
func (l *Loader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.host == nil {
		return nil
	}
	err := l.host.Close()
	l.host = nil
	return err
}

// ErrClosed is returned by calls on a closed Loader that need a backend.
var ErrClosed = errors.New("loader is closed")

// plugins returns the plugin host, creating it on first use.
func (l *Loader) plugins() (*pluginhost.Host, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.host == nil {
		ho := PluginHostOptions(l.opts)
		ho.Logger = l.log.Named("plugins")
		l.host = pluginhost.New(ho)
	}
	return l.host, nil
}

// backend returns the backend serving name, from the Loader's source.
func (l *Loader) backend(ctx context.Context, name string) (sdk.Backend, error) {
	return l.source.Backend(ctx, name)
}

// apiKey reads the entry's API key from the environment variable its
// backend_config names, or "". It travels as an sdk.Secret, which never
// prints.
func (l *Loader) apiKey(e *registry.Entry) sdk.Secret {
	env := e.BackendConfig().APIKeyEnv
	if env == "" {
		return ""
	}
	return sdk.Secret(l.opts.Getenv(env))
}

// sdkEntry converts a registry entry into what a backend sees, its model
// path absolute (see modelPath).
func (l *Loader) sdkEntry(e *registry.Entry) sdk.Entry {
	// A conversion, not a copy field by field: registry.BackendConfig and
	// sdk.BackendConfig must have the same fields, so one added to either
	// alone does not compile (registry.TestConfigRows ties the registry's
	// to the backend_config table, sdk's round trip the sdk's to the wire).
	cfg := sdk.BackendConfig(e.BackendConfig())
	cfg.ModelPath = l.modelPath(e)
	return sdk.Entry{
		Name:          e.Name(),
		DisplayName:   e.DisplayName(),
		Backend:       e.Backend(),
		ServedModelID: e.ServedModelID(),
		Config:        cfg,
		Capabilities:  e.Capabilities(),
		Raw:           e.Raw(),
	}
}

// modelPath is the model a backend is given for e: the folder verify
// hashes (backend_config.model_path, else download_path), absolute, a
// relative path resolved against the registry directory and a leading ~
// against $HOME, so a server runs the same files whatever the working
// directory. A scheme form (ollama:/name:tag) is given as written; so is a
// path that cannot be resolved (~ without a home), for the backend to
// report.
func (l *Loader) modelPath(e *registry.Entry) string {
	mp := e.BackendConfig().ModelPath
	if isSchemePath(mp) || (strings.TrimSpace(mp) == "" && strings.TrimSpace(e.DownloadPath()) == "") {
		return mp
	}
	root, err := artifact.Source{ModelPath: mp, DownloadPath: e.DownloadPath(), BaseDir: l.reg.Dir(), Home: l.opts.Getenv("HOME")}.Root()
	if err != nil {
		return mp
	}
	return root
}

// pluginPinPath is plugins.lock.json beside the registry files.
func (l *Loader) pluginPinPath() string { return pluginPinPath(l.opts) }

// pluginPinPath is plugins.lock.json beside the registry opts names.
func pluginPinPath(opts Options) string {
	if opts.RegistryFile != "" {
		return filepath.Join(filepath.Dir(opts.RegistryFile), PluginPinFile)
	}
	return filepath.Join(opts.registryDir(), PluginPinFile)
}

// defaultRegistryDir is the registry directory when Options names none.
const defaultRegistryDir = "configs"

// defaultGetenv reads the process environment.
func defaultGetenv(k string) string { return os.Getenv(k) }

// PluginPinFile is the name of the plugin pin file (plugins.lock.json,
// written by PinPlugins) in the registry directory.
const PluginPinFile = pluginhost.PinFileName

// Plugins lists every plugin found on the search path, with what each
// says of itself and any problem (each is started to ask), and, with the
// Problem saying where it was looked for, every backend the registry's
// entries name that neither a plugin nor an in-process backend serves.
// The list is sorted by name.
func (l *Loader) Plugins(ctx context.Context) ([]pluginhost.Plugin, error) {
	h, err := l.plugins()
	if err != nil {
		return nil, err
	}
	ps, err := h.List(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, p := range ps {
		have[p.Name] = true
	}
	for _, e := range l.reg.Entries(ctx) {
		name := e.Backend()
		if name == "" || have[name] || l.opts.Backends[name] != nil {
			continue
		}
		have[name] = true
		if _, ferr := h.Find(ctx, name); ferr != nil {
			ps = append(ps, pluginhost.Plugin{Name: name, Protocols: []int{}, Implements: []string{}, Problem: ferr.Error()})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(ps, func(a, b int) bool { return ps[a].Name < ps[b].Name })
	return ps, nil
}

// PinPlugins writes the plugin pin file (plugins.lock.json) beside the
// registry, pinning the SHA-256 of every plugin found, and returns its
// path.
func (l *Loader) PinPlugins(ctx context.Context) (string, error) {
	h, err := l.plugins()
	if err != nil {
		return "", err
	}
	path := l.pluginPinPath()
	return path, h.WritePinFile(ctx, path)
}
