package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/sdk"
)

// ErrNoLifecycle: the entry's backend can neither run its server
// (sdk.ServerRunner) nor load models (sdk.ModelLoader).
var ErrNoLifecycle = errors.New("backend cannot activate models")

// LifecycleOptions configure Activate, Deactivate and Current.
type LifecycleOptions struct {
	// Supervisor holds the state file, timeouts and clock of the servers
	// the host runs.
	Supervisor supervise.Options
	// Port is the port of the server slot, where Activate runs the server
	// of an entry whose backend_config gives no port; 0 means
	// supervise.DefaultPort. An entry with a port runs there (see
	// ActivationPort): its endpoint is then the one Select gives.
	Port int
	// Host is the address a server listens on; "" means 127.0.0.1.
	Host string
	// Waiting, when set, is called while Activate waits for a server to
	// be ready, with the time waited so far.
	Waiting func(waited time.Duration)
	// Warn, when set, is told what ActiveModels left out (a backend or a
	// server that did not answer); when nil, that is an error.
	Warn func(msg string)
	// NoGPUReport leaves Active.GPUs empty: Activate does not run
	// nvidia-smi, which a caller that starts servers for requests (the
	// gateway) would otherwise pay on every swap.
	NoGPUReport bool
}

// ActivationPort is the port Activate runs the server of an entry with
// backend_config.port p on: p when set, else the slot's port.
func (o LifecycleOptions) ActivationPort(p int) int {
	if p > 0 {
		return p
	}
	return o.port()
}

// withState is o with the Loader's state file when o names none.
func (l *Loader) withState(o LifecycleOptions) LifecycleOptions {
	if o.Supervisor.StateFile == "" {
		o.Supervisor.StateFile = l.stateFile()
	}
	return o
}

func (o LifecycleOptions) port() int {
	if o.Port > 0 {
		return o.Port
	}
	return supervise.DefaultPort
}

func (o LifecycleOptions) host() string {
	if o.Host != "" {
		return o.Host
	}
	return "127.0.0.1"
}

// Active is a model being served: a server the host runs (PID set) or a
// model a server has loaded (Ollama; PID 0).
type Active struct {
	// Host is the fleet host it runs on; omitted without a fleet.
	Host string `json:"host,omitempty"`
	// LogicalName is the registry entry.
	LogicalName string `json:"logical_name"`
	// ServedModelID is the id clients send as "model".
	ServedModelID string `json:"served_model_id"`
	// Backend is the entry's backend.
	Backend string `json:"backend"`
	// Port is the server's port.
	Port int `json:"port"`
	// PID is the server's process id; 0 for a loaded model.
	PID int `json:"pid"`
	// StartedAt is when the server started, or zero.
	StartedAt time.Time `json:"started_at,omitzero"`
	// Endpoint is the OpenAI-compatible base URL.
	Endpoint string `json:"endpoint"`
	// LogFile is the server's log, or "".
	LogFile string `json:"log_file,omitempty"`
	// Reused says Activate found the model already active.
	Reused bool `json:"reused"`
	// Stopped names the entry whose server Activate stopped, or "".
	Stopped string `json:"stopped,omitempty"`
	// VRAMBytes is how much GPU memory a loaded model holds (Ollama).
	VRAMBytes int64 `json:"vram_bytes,omitempty"`
	// Warnings are the backend's remarks about the command.
	Warnings []string `json:"warnings,omitempty"`
	// GPUs is the GPUs' memory when nvidia-smi exists.
	GPUs []supervise.GPU `json:"gpus,omitempty"`
	// Notes are remarks (why GPU memory is unknown).
	Notes []string `json:"notes,omitempty"`
}

// lifecycle is the lifecycle a backend answers: exactly one of its fields
// is set.
type lifecycle struct {
	runner sdk.ServerRunner // it runs its server (vLLM, LMDeploy, ...)
	loader sdk.ModelLoader  // it loads models on a server (Ollama)
}

// lifecycleOf returns the lifecycle the backend answers, from its
// Info.Implements (derived from its interfaces for an in-process backend
// that lists none) and checked against its methods once, here: a call it
// lists but has no method for is no lifecycle, never a nil to call.
func lifecycleOf(ctx context.Context, b sdk.Backend, backend string) (lifecycle, error) {
	info, err := b.Info(ctx)
	if err != nil {
		return lifecycle{}, err
	}
	calls := sdk.Implemented(b, info)
	if r, ok := b.(sdk.ServerRunner); ok && slices.Contains(calls, sdk.CallServerCommand) {
		return lifecycle{runner: r}, nil
	}
	if ml, ok := b.(sdk.ModelLoader); ok && slices.Contains(calls, sdk.CallModelLoading) {
		return lifecycle{loader: ml}, nil
	}
	return lifecycle{}, fmt.Errorf("backend %q: %w", backend, ErrNoLifecycle)
}

// Activate makes the entry name the active model: for a backend that runs
// its server (vLLM, LMDeploy, ...), its server becomes the one on its port
// (backend_config.port, else the slot's; see ActivationPort), any other
// there stopped first (see supervise.Supervisor.Activate), so entries
// sharing a port share a slot;
// for one that loads models (Ollama), the model is loaded and kept loaded.
// name may be an alias of the entry; what is recorded and returned is the
// entry's own name, so activating the running entry by any of its names
// keeps its server.
//
// Errors: an unknown name wraps registry.ErrNotFound; a backend with
// neither wraps ErrNoLifecycle; a busy port wraps supervise.ErrPortInUse;
// a server that fails to start is a *supervise.StartError; a server
// program not found is a *supervise.NoExecutableError.
func (l *Loader) Activate(ctx context.Context, name string, opts LifecycleOptions) (Active, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Active{}, err
	}
	// A lock field of the wrong type is refused, never read as unlocked.
	if _, err := e.CheckedVersionLock(); err != nil {
		return Active{}, err
	}
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return Active{}, err
	}
	lc, err := lifecycleOf(ctx, b, e.Backend())
	if err != nil {
		return Active{}, err
	}
	if lc.loader != nil {
		return l.load(ctx, b, lc.loader, e, opts)
	}
	opts = l.withState(opts)
	entry := l.sdkEntry(e)
	port, host := opts.ActivationPort(e.BackendConfig().Port), opts.host()
	cmd, err := lc.runner.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry, Host: host, Port: port})
	if err != nil {
		return Active{}, fmt.Errorf("activating %q: %w", name, err)
	}
	endpoint := "http://" + net.JoinHostPort(supervise.DialHost(host), strconv.Itoa(port)) + "/v1"
	act, err := supervise.New(opts.Supervisor).Activate(ctx, supervise.Launch{
		LogicalName:   e.Name(),
		Aliases:       e.Aliases(),
		ServedModelID: cmd.ServedModelID,
		Backend:       e.Backend(),
		Host:          host,
		Port:          port,
		Argv:          cmd.Argv,
		Env:           cmd.Env,
		Dir:           cmd.Dir,
		ReadyPath:     cmd.Ready.Path,
		ReadyStatus:   cmd.Ready.Status,
		Endpoint:      endpoint,
		Waiting:       opts.Waiting,
		Secrets:       cmd.Secrets,
	})
	var ne *supervise.NoExecutableError
	if errors.As(err, &ne) {
		// Every bundled backend takes its program from there.
		return Active{}, fmt.Errorf("activating %q: %w; set backend_config.executable to its path", name, err)
	}
	if err != nil {
		return Active{}, activating(name, err)
	}
	out := activeOf(act.State)
	out.Reused = act.Reused
	if act.Stopped != nil {
		out.Stopped = act.Stopped.LogicalName
	}
	out.Warnings = cmd.Warnings
	if !opts.NoGPUReport {
		addGPUs(ctx, &out)
	}
	return out, nil
}

// Deactivate stops the server on the slot's port (name ""), or the
// server of the entry name on whichever port it runs (by its own name or
// an alias; when none runs, the error wraps supervise.ErrNotActive and
// names the entry's port), or unloads name's model from its server
// (Ollama). It returns what was stopped or unloaded, or nil when nothing
// ran.
func (l *Loader) Deactivate(ctx context.Context, name string, opts LifecycleOptions) (*Active, error) {
	opts = l.withState(opts)
	if name != "" {
		e, err := l.reg.Get(ctx, name)
		if err != nil {
			return nil, err
		}
		b, err := l.backend(ctx, e.Backend())
		if err != nil {
			return nil, err
		}
		lc, err := lifecycleOf(ctx, b, e.Backend())
		if err != nil {
			return nil, err
		}
		if lc.loader != nil {
			return l.unload(ctx, b, lc.loader, e)
		}
		port, _, err := supervise.New(opts.Supervisor).Find(e.Name(), e.Aliases()...)
		if err != nil {
			return nil, err
		}
		if port == 0 {
			port = opts.ActivationPort(e.BackendConfig().Port)
		}
		opts.Port = port
		return stopServer(ctx, e.Name(), e.Aliases(), opts)
	}
	return StopServer(ctx, "", opts)
}

// StopServer stops the server on the slot's port without a registry; with
// name set, it must serve that entry, by its own name (see
// Loader.Deactivate, which also knows its aliases).
func StopServer(ctx context.Context, name string, opts LifecycleOptions) (*Active, error) {
	return stopServer(ctx, name, nil, opts)
}

// stopServer is StopServer where a state recording one of aliases names
// the entry too.
func stopServer(ctx context.Context, name string, aliases []string, opts LifecycleOptions) (*Active, error) {
	st, err := supervise.New(opts.Supervisor).Deactivate(ctx, opts.port(), name, aliases...)
	if err != nil || st == nil {
		return nil, err
	}
	out := activeOf(*st)
	return &out, nil
}

// Current returns the server active on the slot's port, or nil; a state
// whose process is gone is cleared (see supervise.Supervisor.Current).
func (l *Loader) Current(ctx context.Context, opts LifecycleOptions) (*Active, error) {
	return CurrentServer(ctx, l.withState(opts))
}

// CurrentServers returns the server active on every port that has a state
// file, by port, without a registry; states whose process is gone are
// cleared. Each carries the GPUs' memory, as CurrentServer's does.
func CurrentServers(ctx context.Context, opts LifecycleOptions) ([]Active, error) {
	out, err := servers(ctx, opts)
	if err != nil {
		return nil, err
	}
	addGPUsAll(ctx, out)
	return out, nil
}

// servers is CurrentServers without the GPUs.
func servers(ctx context.Context, opts LifecycleOptions) ([]Active, error) {
	states, err := supervise.New(opts.Supervisor).Servers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Active, len(states))
	for i, st := range states {
		out[i] = activeOf(st)
	}
	return out, nil
}

// CurrentServer is Loader.Current without a registry: the state file alone
// says what runs.
func CurrentServer(ctx context.Context, opts LifecycleOptions) (*Active, error) {
	st, err := supervise.New(opts.Supervisor).Current(ctx, opts.port())
	if err != nil || st == nil {
		return nil, err
	}
	out := activeOf(*st)
	addGPUs(ctx, &out)
	return &out, nil
}

// activeOf is the Active a state records.
func activeOf(st supervise.State) Active {
	return Active{
		LogicalName:   st.LogicalName,
		ServedModelID: st.ServedModelID,
		Backend:       st.Backend,
		Port:          st.Port,
		PID:           st.PID,
		StartedAt:     st.Started().UTC(),
		Endpoint:      st.Endpoint,
		LogFile:       st.LogFile,
	}
}

// addGPUsAll gives every model in as the GPUs' memory, asking nvidia-smi
// once.
func addGPUsAll(ctx context.Context, as []Active) {
	if len(as) == 0 {
		return
	}
	gpus, note := gpuMemory(ctx)
	for i := range as {
		as[i].GPUs = gpus
		if note != "" {
			as[i].Notes = append(as[i].Notes, note)
		}
	}
}

// addGPUs adds the GPUs' memory when nvidia-smi exists; a failing one is a
// note, not an error.
func addGPUs(ctx context.Context, a *Active) {
	var note string
	a.GPUs, note = gpuMemory(ctx)
	if note != "" {
		a.Notes = append(a.Notes, note)
	}
}

// gpuMemory is the GPUs' memory, or a note saying why it is unknown.
func gpuMemory(ctx context.Context) ([]supervise.GPU, string) {
	gpus, err := supervise.GPUMemory(ctx)
	if err != nil {
		return gpus, "GPU memory unknown: " + err.Error()
	}
	return gpus, ""
}
