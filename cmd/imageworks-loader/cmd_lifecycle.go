package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/supervise"
)

// Environment variables of the lifecycle commands (and of select
// --activate, which has no flags for them).
const (
	envActiveState  = "IMAGEWORKS_ACTIVE_STATE"
	envActivePort   = "IMAGEWORKS_ACTIVE_PORT"
	envStartTimeout = "IMAGEWORKS_START_TIMEOUT"
	envStopTimeout  = "IMAGEWORKS_STOP_TIMEOUT"
)

// stateFileHelp describes --state-file.
const stateFileHelp = "State file of the servers (shared with the Python tool); default: _staging/active_vllm.json in the folder holding the registry directory."

// SlotFlags say where the server slot's state lives and how long starting
// and stopping may take.
type SlotFlags struct {
	Port        int           `env:"IMAGEWORKS_ACTIVE_PORT" default:"24001" help:"Port of the server slot (for entries whose backend_config gives no port)."`
	StateFile   string        `name:"state-file" env:"IMAGEWORKS_ACTIVE_STATE" type:"path" help:"${state_file_help}"`
	StopTimeout time.Duration `name:"stop-timeout" env:"IMAGEWORKS_STOP_TIMEOUT" default:"30s" help:"Time a stopped server has between SIGTERM and SIGKILL."`
}

// options are the core options of the flags, with start timeout wait.
func (f SlotFlags) options(a *App, wait time.Duration) core.LifecycleOptions {
	return core.LifecycleOptions{
		Port: f.Port,
		Supervisor: supervise.Options{
			StateFile:    a.stateFile(f.StateFile),
			StartTimeout: wait,
			StopTimeout:  f.StopTimeout,
			PollInterval: pollInterval(wait),
		},
	}
}

// stateFile is the state file given, else the default beside the
// registry (core.DefaultStateFile), whatever the working directory.
func (a *App) stateFile(given string) string {
	if given != "" {
		return given
	}
	return core.DefaultStateFile(a.loaderOptions())
}

// pollInterval checks readiness often enough for a short start timeout.
func pollInterval(wait time.Duration) time.Duration {
	return min(supervise.DefaultPollInterval, max(wait/20, 10*time.Millisecond))
}

// ActivateCmd is `activate NAME` (alias activate-model, whose --stop is
// deactivate).
type ActivateCmd struct {
	Name string        `arg:"" optional:"" predictor:"model" help:"Logical model name."`
	Stop bool          `help:"Stop the active server instead (the Python tool's activate-model --stop)."`
	Wait time.Duration `env:"IMAGEWORKS_START_TIMEOUT" default:"180s" help:"How long the server may take to be ready."`
	SlotFlags
}

// Validate wants a name, or --stop without one.
func (c *ActivateCmd) Validate() error {
	if (c.Name == "") == !c.Stop {
		return errors.New("give a model NAME, or --stop")
	}
	return nil
}

// Run activates the model and prints what is active.
func (c *ActivateCmd) Run(ctx context.Context, a *App, open openLoader) error {
	if c.Stop {
		return deactivate(ctx, a, open, "", c.SlotFlags)
	}
	l, err := open()
	if err != nil {
		return err
	}
	act, err := activate(ctx, a, l, c.Name, c.SlotFlags.options(a, c.Wait))
	if err != nil {
		return err
	}
	return a.emitActive(&act)
}

// activate activates name, showing the wait on a terminal.
func activate(ctx context.Context, a *App, l *core.Loader, name string, opts core.LifecycleOptions) (core.Active, error) {
	if isTerminal(a.Env.Stderr) {
		shown := time.Duration(-1)
		opts.Waiting = func(waited time.Duration) {
			if s := waited.Truncate(time.Second); s != shown {
				shown = s
				fmt.Fprintf(a.Env.Stderr, "\r%s: waiting for %s to be ready (%s)", toolName, name, s)
			}
		}
		defer func() {
			if shown >= 0 {
				fmt.Fprintln(a.Env.Stderr)
			}
		}()
	}
	act, err := l.Activate(ctx, name, opts)
	for _, w := range act.Warnings {
		a.warnf("%s: %s", name, w)
	}
	return act, err
}

// DeactivateCmd is `deactivate [NAME]`.
type DeactivateCmd struct {
	Name string `arg:"" optional:"" predictor:"model" help:"The model to deactivate; without it, whatever the slot serves."`
	SlotFlags
}

// Run stops the server (or unloads the model) and prints what it stopped.
func (c *DeactivateCmd) Run(ctx context.Context, a *App, open openLoader) error {
	return deactivate(ctx, a, open, c.Name, c.SlotFlags)
}

// deactivate stops the slot's server; only a named model needs the
// registry (to tell an Ollama model from a server).
func deactivate(ctx context.Context, a *App, open openLoader, name string, f SlotFlags) error {
	var act *core.Active
	var err error
	if name == "" {
		act, err = core.StopServer(ctx, "", f.options(a, 0))
	} else {
		var l *core.Loader
		if l, err = open(); err != nil {
			return err
		}
		act, err = l.Deactivate(ctx, name, f.options(a, 0))
	}
	if err != nil {
		return err
	}
	return a.emitActive(act)
}

// CurrentCmd is `current` (alias current-model).
type CurrentCmd struct {
	Port      int    `help:"Only the server on this port, printed as one object (null when none), as current printed before it listed every model."`
	Backend   string `predictor:"backend" help:"Only the models of this backend (a list; for Ollama, what its servers have loaded)."`
	StateFile string `name:"state-file" env:"IMAGEWORKS_ACTIVE_STATE" type:"path" help:"${state_file_help}"`
	// StopTimeout is accepted, and unused, as before current had its own
	// flags.
	StopTimeout time.Duration `name:"stop-timeout" hidden:"" help:"Unused."`
}

// Run prints every active model as a list: the servers of every port,
// then what the servers of the registry's Ollama entries have loaded. With
// --port alone, the server on that port or null; with --backend, that
// backend's models. Only the registry's models need it: where there is
// none, current still lists the servers, and says what it left out.
func (c *CurrentCmd) Run(ctx context.Context, a *App, open openLoader) error {
	opts := core.LifecycleOptions{
		Port:       c.Port,
		Supervisor: supervise.Options{StateFile: a.stateFile(c.StateFile)},
		Warn:       func(msg string) { a.warnf("%s", msg) },
	}
	if c.Port > 0 && c.Backend == "" {
		act, err := core.CurrentServer(ctx, opts)
		if err != nil {
			return err
		}
		return a.emitActive(act)
	}
	var list []core.Active
	l, err := open()
	switch {
	case err == nil:
		list, err = l.ActiveModels(ctx, c.Backend, opts)
	case c.Backend == "" && errors.Is(err, registry.ErrNoRegistry):
		a.warnf("%s; only the servers in %s are listed", oneLine(err), filepath.Dir(opts.Supervisor.StateFile))
		list, err = core.CurrentServers(ctx, opts)
	}
	if err != nil {
		return err
	}
	if c.Port > 0 {
		list = slices.DeleteFunc(list, func(m core.Active) bool { return m.Port != c.Port })
	}
	f := a.fleetOf()
	if f != nil {
		list = a.withFleetActive(ctx, f, list, c.Backend == "" && c.Port == 0)
	}
	return a.emit(list, func(w io.Writer) {
		if f == nil {
			row(w, "LOGICAL_NAME", "SERVED_MODEL_ID", "BACKEND", "PORT", "PID", "ENDPOINT", "VRAM")
		} else {
			row(w, "HOST", "LOGICAL_NAME", "SERVED_MODEL_ID", "BACKEND", "PORT", "PID", "ENDPOINT", "VRAM")
		}
		for _, m := range list {
			if f == nil {
				row(w, m.LogicalName, m.ServedModelID, m.Backend, m.Port, m.PID, m.Endpoint, humanBytes(m.VRAMBytes))
			} else {
				row(w, m.Host, m.LogicalName, m.ServedModelID, m.Backend, m.Port, m.PID, m.Endpoint, humanBytes(m.VRAMBytes))
			}
		}
	})
}

// withFleetActive names this host in list and, when others is true, adds
// what runs on the fleet's other hosts (the fleet unreachable, the guard
// has warned and list is this host's alone).
func (a *App) withFleetActive(ctx context.Context, f fleet.Fleet, list []core.Active, others bool) []core.Active {
	self := a.hostID()
	for i := range list {
		list[i].Host = self
	}
	if !others {
		return list
	}
	remote, err := core.FleetActive(ctx, f, self)
	if err != nil {
		if !errors.Is(err, fleet.ErrUnavailable) {
			a.warnf("warning: the fleet's slots: %s", oneLine(err))
		}
		return list
	}
	return append(list, remote...)
}

// emitActive prints act, or null (table: "none"); the table gives sizes
// in binary units (4.4 GiB), JSON in bytes and MiB as stored.
func (a *App) emitActive(act *core.Active) error {
	return a.emit(act, func(w io.Writer) {
		if act == nil {
			fmt.Fprintln(w, "none")
			return
		}
		row(w, "LOGICAL_NAME", "SERVED_MODEL_ID", "BACKEND", "PORT", "PID", "ENDPOINT")
		row(w, act.LogicalName, act.ServedModelID, act.Backend, act.Port, act.PID, act.Endpoint)
		if act.VRAMBytes > 0 {
			fmt.Fprintf(w, "VRAM: %s\n", humanBytes(act.VRAMBytes))
		}
		for _, g := range act.GPUs {
			fmt.Fprintf(w, "GPU %d (%s): %s of %s used\n", g.Index, termText(g.Name), humanBytes(int64(g.MemoryUsedMiB)<<20), humanBytes(int64(g.MemoryTotalMiB)<<20))
		}
	})
}

// slotFromEnv is SlotFlags and the start timeout as the environment sets
// them, for select --activate.
func slotFromEnv(getenv func(string) string) (SlotFlags, time.Duration, error) {
	f := SlotFlags{Port: supervise.DefaultPort, StateFile: getenv(envActiveState)} // "": beside the registry
	wait := supervise.DefaultStartTimeout
	var errs []error
	if v := getenv(envActivePort); v != "" {
		_, err := fmt.Sscan(v, &f.Port)
		errs = append(errs, envError(envActivePort, err))
	}
	for name, d := range map[string]*time.Duration{envStartTimeout: &wait, envStopTimeout: &f.StopTimeout} {
		if v := getenv(name); v != "" {
			var err error
			*d, err = time.ParseDuration(v)
			errs = append(errs, envError(name, err))
		}
	}
	return f, wait, errors.Join(errs...)
}

func envError(name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// activateFromEnv is select --activate.
func activateFromEnv(ctx context.Context, a *App, l *core.Loader, name string) (*core.Active, error) {
	f, wait, err := slotFromEnv(a.Env.Getenv)
	if err != nil {
		return nil, err
	}
	act, err := activate(ctx, a, l, name, f.options(a, wait))
	if err != nil {
		return nil, err
	}
	return &act, nil
}
