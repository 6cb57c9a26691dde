package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/imageworks-ai/loader/core"
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

// SlotFlags say where the server slot's state lives and how long starting
// and stopping may take.
type SlotFlags struct {
	Port        int           `env:"IMAGEWORKS_ACTIVE_PORT" default:"24001" help:"Port of the server slot."`
	StateFile   string        `name:"state-file" env:"IMAGEWORKS_ACTIVE_STATE" default:"_staging/active_vllm.json" type:"path" help:"State file of the slot (shared with the Python tools)."`
	StopTimeout time.Duration `name:"stop-timeout" env:"IMAGEWORKS_STOP_TIMEOUT" default:"30s" help:"Time a stopped server has between SIGTERM and SIGKILL."`
}

// options are the core options of the flags, with start timeout wait.
func (f SlotFlags) options(wait time.Duration) core.LifecycleOptions {
	return core.LifecycleOptions{
		Port: f.Port,
		Supervisor: supervise.Options{
			StateFile:    f.StateFile,
			StartTimeout: wait,
			StopTimeout:  f.StopTimeout,
			PollInterval: pollInterval(wait),
		},
	}
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
	act, err := activate(ctx, a, l, c.Name, c.SlotFlags.options(c.Wait))
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
		act, err = core.StopServer(ctx, "", f.options(0))
	} else {
		var l *core.Loader
		if l, err = open(); err != nil {
			return err
		}
		act, err = l.Deactivate(ctx, name, f.options(0))
	}
	if err != nil {
		return err
	}
	return a.emitActive(act)
}

// CurrentCmd is `current` (alias current-model).
type CurrentCmd struct {
	Backend string `predictor:"backend" help:"List what the servers of this backend's entries have loaded (Ollama) instead."`
	SlotFlags
}

// Run prints the active server, or null. Only --backend needs the
// registry.
func (c *CurrentCmd) Run(ctx context.Context, a *App, open openLoader) error {
	if c.Backend != "" {
		l, err := open()
		if err != nil {
			return err
		}
		loaded, err := l.Loaded(ctx, c.Backend)
		if err != nil {
			return err
		}
		return a.emit(loaded, func(w io.Writer) {
			row(w, "LOGICAL_NAME", "SERVED_MODEL_ID", "ENDPOINT", "VRAM")
			for _, m := range loaded {
				row(w, m.LogicalName, m.ServedModelID, m.Endpoint, humanBytes(m.VRAMBytes))
			}
		})
	}
	act, err := core.CurrentServer(ctx, c.SlotFlags.options(0))
	if err != nil {
		return err
	}
	return a.emitActive(act)
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
	f := SlotFlags{Port: supervise.DefaultPort, StateFile: getenv(envActiveState)}
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
	act, err := activate(ctx, a, l, name, f.options(wait))
	if err != nil {
		return nil, err
	}
	return &act, nil
}
