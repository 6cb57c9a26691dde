package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/alecthomas/kong"
	kongcompletion "github.com/jotaen/kong-completion"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core"
)

// version is the CLI's version; release builds set it with -ldflags.
var version = "0.1.0-dev"

const toolName = "imageworks-loader"

// Env is what the CLI takes from the process: its output streams and
// environment. Tests pass their own.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// DialFleet connects to a fleet (--fleet); nil: none can be, and a
	// command given one answers locally with a warning saying so.
	DialFleet FleetDialer
}

// Globals are the flags every command takes.
type Globals struct {
	RegistryDir  string   `name:"registry-dir" env:"IMAGEWORKS_REGISTRY_DIR" default:"./configs" help:"Layered registry directory." type:"path"`
	RegistryFile string   `name:"registry-file" help:"Single registry file (single-file mode) instead of a directory." type:"path"`
	PluginDir    []string `name:"plugin-dir" help:"Folder searched for backend plugins first (repeatable)." type:"path"`
	LogLevel     string   `name:"log-level" env:"IMAGEWORKS_LOG_LEVEL" default:"warn" enum:"trace,debug,info,warn,error,off" help:"Diagnostics on stderr: trace, debug, info, warn, error, off."`
	Output       string   `name:"output" short:"o" default:"json" enum:"json,table" help:"Output format: json or table."`
	FleetFlags
}

// FleetFlags say which fleet this host shares state with (see
// docs/fleet.md). Without --fleet no fleet code runs.
type FleetFlags struct {
	Fleet     []string      `name:"fleet" env:"IMAGEWORKS_FLEET" sep:"," placeholder:"URL" help:"etcd endpoints of the fleet of hosts this one shares pins and observations with; none: this host alone."`
	HostID    string        `name:"host-id" env:"IMAGEWORKS_HOST_ID" placeholder:"ID" help:"This host's id in the fleet (default: the host name)."`
	Advertise string        `name:"advertise" env:"IMAGEWORKS_ADVERTISE" placeholder:"HOST" help:"Host name or address other hosts reach this host's servers at (default: the host id)."`
	FleetTTL  time.Duration `name:"fleet-ttl" env:"IMAGEWORKS_FLEET_TTL" default:"10s" help:"Lease on what this host publishes: it vanishes this long after the host stops."`
	// FleetPrefix puts the fleet's keys under another prefix, so several
	// fleets (or test scripts) can share one etcd.
	FleetPrefix string `name:"fleet-prefix" env:"IMAGEWORKS_FLEET_PREFIX" hidden:"" help:"Prefix of the fleet's etcd keys (default /imageworks/v1/)."`
}

// CLI is the whole command line.
type CLI struct {
	Globals

	List        ListCmd                   `cmd:"" help:"List registry entries."`
	Select      SelectCmd                 `cmd:"" help:"Tell how to reach a model, by name or by role."`
	Verify      VerifyCmd                 `cmd:"" help:"Hash a model's files and check its version lock."`
	Lock        LockCmd                   `cmd:"" help:"Lock a model's version."`
	Unlock      UnlockCmd                 `cmd:"" help:"Unlock a model's version (the expected hash stays)."`
	ProbeVision ProbeVisionCmd            `cmd:"" name:"probe-vision" help:"Check that a vision model really sees."`
	Metrics     MetricsCmd                `cmd:"" help:"Lock state and hashes, for every entry or one."`
	Plugins     PluginsCmd                `cmd:"" help:"List backend plugins, or pin them with 'plugins lock'."`
	Backends    BackendsCmd               `cmd:"" help:"Health of every backend endpoint in the registry."`
	Import      ImportCmd                 `cmd:"" help:"Add the models a running server serves to the discovered layer."`
	Init        InitCmd                   `cmd:"" help:"Make a registry: create the folder and the layers it lacks (never overwrites)."`
	Add         AddCmd                    `cmd:"" help:"Add an entry to the discovered layer."`
	Set         SetCmd                    `cmd:"" help:"Change fields of an entry in the discovered layer: KEY=VALUE..."`
	Rm          RmCmd                     `cmd:"" help:"Remove an entry of the discovered layer."`
	Serve       ServeCmd                  `cmd:"" help:"Answer the registry's API over HTTP, with warm plugins."`
	Gateway     GatewayCmd                `cmd:"" help:"One OpenAI-compatible address for every model: starts, swaps and stops servers on demand."`
	Validate    ValidateCmd               `cmd:"" help:"Strict checks of the registry files."`
	Activate    ActivateCmd               `cmd:"" aliases:"activate-model" help:"Make a model the active one: start its server on its backend_config.port, else the slot's (or load it, for Ollama)."`
	Deactivate  DeactivateCmd             `cmd:"" help:"Stop the slot's server, or a model's wherever it runs, or unload a model."`
	Current     CurrentCmd                `cmd:"" aliases:"current-model" help:"Every active model (servers on every port, models Ollama has loaded); --port P: the one on P."`
	Version     VersionCmd                `cmd:"" help:"Print the version."`
	Completion  kongcompletion.Completion `cmd:"" help:"Print shell code that enables tab completion."`
}

// App is what every command's Run receives: the globals, the process's
// streams and environment. The loader is not in it: a command that needs
// one takes a *core.Loader (or, when only some of its flags need the
// registry, an openLoader), bound in Main and opened on first use.
type App struct {
	Globals *Globals
	Env     Env
	Log     hclog.Logger

	loader *core.Loader
	fleet  *guardedFleet // dialled on first use, with --fleet
	// fleetLocally is what the fleet-unreachable warning says the command
	// does instead ("" means answering locally).
	fleetLocally string
	readOnly     bool          // open the registry without writing anything (dry runs)
	secrets      *knownSecrets // keys read so far, scrubbed from stderr
}

// openLoader opens the registry on first call and returns the same
// Loader after. Commands that need the registry only for some flags
// (deactivate NAME, current --backend) take one instead of a *core.Loader.
type openLoader func() (*core.Loader, error)

// opener is the openLoader of ctx, which Main binds for every command.
func (a *App) opener(ctx context.Context) openLoader {
	return func() (*core.Loader, error) {
		if a.loader != nil {
			return a.loader, nil
		}
		l, err := core.Open(ctx, a.loaderOptions())
		if err != nil {
			return nil, err
		}
		// A signal cancels ctx: close at once, so plugins die even while a
		// call is still on its way back.
		context.AfterFunc(ctx, func() { _ = l.Close() })
		a.loader = l
		a.secrets.addRegistry(ctx, l)
		return l, nil
	}
}

// loaderOptions are the core.Options the globals and the environment say.
func (a *App) loaderOptions() core.Options {
	return core.Options{
		RegistryDir:     a.Globals.RegistryDir,
		RegistryFile:    a.Globals.RegistryFile,
		AllowDuplicates: a.Env.Getenv("IMAGEWORKS_ALLOW_REGISTRY_DUPES") == "1",
		PluginDirs:      a.Globals.PluginDir,
		Getenv:          a.Env.Getenv,
		Logger:          a.Log,
		ReadOnly:        a.readOnly,
		ActiveState:     a.Env.Getenv(envActiveState),
		Fleet:           a.fleetOf(),
		HostID:          a.Globals.HostID,
		Advertise:       a.Globals.Advertise,
	}
}

// close stops any plugin the loader started; calling it again does
// nothing.
func (a *App) close() {
	if a.loader != nil {
		_ = a.loader.Close()
		a.loader = nil
	}
	if a.fleet != nil {
		_ = a.fleet.Close()
		a.fleet = nil
	}
}

// Main runs the CLI with args and returns the process exit status.
func Main(args []string, env Env) int {
	var cli CLI
	exit := -1
	secrets := &knownSecrets{getenv: env.Getenv}
	// Bound before parsing, so a command's AfterApply hook can set how the
	// registry opens (import --dry-run); Log is set once --log-level is known.
	app := &App{Globals: &cli.Globals, Env: env, secrets: secrets}
	parser, err := kong.New(&cli,
		kong.Name(toolName),
		kong.Description("Layered model registry, endpoint resolution, version locks and vision probes for local model servers."),
		kong.Writers(env.Stdout, env.Stderr),
		kong.Exit(func(code int) { exit = code; panic(exitPanic{}) }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": version, "state_file_help": stateFileHelp},
		kong.Bind(app),
	)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", toolName, err)
		return 1
	}
	// Building the completion model costs a few milliseconds on every run:
	// only a shell asking for completions (COMP_LINE set) pays for it.
	if env.Getenv("COMP_LINE") != "" {
		if code, done := completeIfAsked(parser, env, &exit); done {
			return code
		}
	}
	kctx, code, done := parse(parser, args, &exit)
	if done {
		return code
	}
	app.Log = newLogger(hclog.LevelFromString(cli.LogLevel), env.Stderr, secrets)
	defer app.close()

	ctx, stop := withEndingSignals(context.Background())
	defer stop()
	kctx.BindTo(ctx, (*context.Context)(nil))
	open := app.opener(ctx)
	kctx.Bind(open)
	if err := errors.Join(kctx.BindSingletonProvider(open), kctx.BindSingletonProvider(app.loaderOptions)); err != nil {
		panic(err) // a provider of the wrong shape: a programming error
	}
	_, err = catchExit(func() error { return kctx.Run() })
	app.close() // before any message: plugins and their socket folder go first
	if exit >= 0 {
		return exit
	}
	sig := endedBy(ctx)
	if brokenPipe(err) {
		return exitBrokenPipe // the reader went away (| head): nothing to say
	}
	if err != nil {
		err = registryHint(err, &cli.Globals)
		printError(env.Stderr, err, secrets)
		if sig != nil {
			return exitInterrupt // a signal ended the work, whatever error that caused
		}
		return exitCode(err)
	}
	return 0
}

// exitPanic carries kong.Exit out of kong's call stack.
type exitPanic struct{}

// catchExit runs f and reports whether kong.Exit ended it (the status is
// then in the variable kong.Exit set); any other panic goes on.
func catchExit(f func() error) (exited bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok {
				panic(r)
			}
			exited, err = true, nil
		}
	}()
	return false, f()
}

// parse parses args; done is true when the process should end now (help,
// a usage error).
func parse(parser *kong.Kong, args []string, exit *int) (kctx *kong.Context, code int, done bool) {
	exited, err := catchExit(func() (err error) {
		kctx, err = parser.Parse(args)
		return err
	})
	switch {
	case exited:
		return nil, *exit, true
	case err != nil:
		// Usage goes nowhere near stdout: one line on stderr, like every error.
		fmt.Fprintf(parser.Stderr, "%s: %s (see --help)\n", toolName, oneLine(err))
		return nil, exitCode(err), true
	}
	return kctx, 0, false
}

// completeIfAsked answers a shell's tab-completion request, if this is
// one: commands and flags, and the registry's names for the arguments
// tagged `predictor:"..."` (see completer).
func completeIfAsked(parser *kong.Kong, env Env, exit *int) (code int, done bool) {
	c := &completer{env: env}
	defer c.close()
	if exited, _ := catchExit(func() error {
		kongcompletion.Register(parser, kongcompletion.WithPredictors(c.predictors()))
		return nil
	}); exited {
		return *exit, true
	}
	return 0, false
}
