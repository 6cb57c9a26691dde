package sdk

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// maxRecvMsgSize bounds one request a plugin accepts. gRPC's default of
// 4 MiB is too small for a probe image.
const maxRecvMsgSize = 64 << 20

// Serve runs b as a backend plugin and returns the process's exit code. It
// is a plugin's whole main:
//
//	func main() { os.Exit(sdk.Serve(mybackend.New())) }
//
// Started by a host (imageworks-loader, or any program embedding its core),
// Serve speaks the plugin protocol on a private socket until the host
// closes it, logging to stderr as JSON lines (level from
// IMAGEWORKS_PLUGIN_LOG_LEVEL, default info). Run by hand it refuses with
// exit code 1, except in these modes:
//
//   - --debug (or IMAGEWORKS_PLUGIN_DEBUG=1, which a plugin started by a
//     host ignores): serve until interrupted and
//     print one line, IMAGEWORKS_REATTACH_BACKENDS='{"NAME":{...}}', to
//     stdout. Set that variable in a host's environment and the host uses
//     this process instead of starting the plugin, so the plugin can run
//     under a debugger.
//   - --version: print the backend's name, version and protocols, then exit.
//
// A bad flag is exit code 2.
func Serve(b Backend) int {
	return serve(b, serveEnv{
		prog:   strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"),
		args:   os.Args[1:],
		getenv: os.Getenv,
		stdout: os.Stdout,
		stderr: os.Stderr,
	})
}

// serveEnv is the process environment Serve works in, injected for tests.
type serveEnv struct {
	prog           string // the program's name, for messages
	args           []string
	getenv         func(string) string
	stdout, stderr io.Writer
}

func serve(b Backend, env serveEnv) int {
	prog := env.prog
	if prog == "" {
		prog = "imageworks-backend"
	}
	fs := flag.NewFlagSet(prog, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	debugFlag := fs.Bool("debug", false, "serve in this process until interrupted and print a reattach line for "+wire.ReattachEnv)
	versionFlag := fs.Bool("version", false, "print the backend's name, version and protocols")
	if err := fs.Parse(env.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "%s: unexpected argument %q\n", prog, fs.Arg(0))
		return 2
	}
	// The variable counts only when a person started the plugin: a host
	// passes IMAGEWORKS_PLUGIN_* variables on, and a plugin it started must
	// still answer the handshake.
	startedByHost := env.getenv(wire.MagicCookieKey) == wire.MagicCookieValue
	debugMode := *debugFlag || (isTrue(env.getenv(wire.DebugEnv)) && !startedByHost)
	if *versionFlag || debugMode {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		info, err := b.Info(ctx)
		cancel()
		if err != nil {
			fmt.Fprintf(env.stderr, "%s: info: %v\n", prog, err)
			return 1
		}
		if info.Name == "" {
			fmt.Fprintf(env.stderr, "%s: info: backend has no name\n", prog)
			return 1
		}
		if *versionFlag {
			protocols := info.Protocols
			if len(protocols) == 0 {
				protocols = []int{ProtocolVersion}
			}
			fmt.Fprintf(env.stdout, "%s %s (protocols %s)\n", info.Name, info.Version, strings.Trim(fmt.Sprint(protocols), "[]"))
			return 0
		}
		return serveDebug(b, info.Name, prog, env)
	}

	if !startedByHost {
		fmt.Fprintf(env.stderr, "%s: this program is a backend plugin for imageworks-loader, which starts it itself\n"+
			"%s: to debug it, run it with --debug and give its reattach line to the host\n", prog, prog)
		return 1
	}
	plugin.Serve(serveConfig(b, newLogger(env.stderr, env.getenv(wire.LogLevelEnv), nil)))
	return 0
}

// serveDebug serves in debug mode until SIGINT or SIGTERM.
func serveDebug(b Backend, name, prog string, env serveEnv) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	line, done, err := serveDebugWith(ctx, b, name, newLogger(env.stderr, env.getenv(wire.LogLevelEnv), ctx), nil)
	if err != nil {
		fmt.Fprintf(env.stderr, "%s: %v\n", prog, err)
		return 1
	}
	fmt.Fprintf(env.stderr, "%s: serving in debug mode until interrupted; set this in the host's environment:\n", prog)
	fmt.Fprintf(env.stdout, "%s='%s'\n", wire.ReattachEnv, line)
	<-done
	return 0
}

// ServeDebug serves b in this process, the way Serve's --debug mode does,
// until ctx is done. It returns the value of IMAGEWORKS_REATTACH_BACKENDS
// with which a host attaches to it ({"NAME":{...}}, NAME being b's Info
// name), and a channel that is closed once serving has stopped. Several
// backends may be served at once.
//
// It fails when b's Info fails or gives no name, and when the server cannot
// listen.
func ServeDebug(ctx context.Context, b Backend) (reattach string, done <-chan struct{}, err error) {
	info, err := b.Info(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("serving backend in debug mode: info: %w", err)
	}
	if info.Name == "" {
		return "", nil, errors.New("serving backend in debug mode: info: backend has no name")
	}
	watch := wire.WatchFrom(ctx)
	out, level := io.Writer(os.Stderr), os.Getenv(wire.LogLevelEnv)
	if watch != nil {
		out = watch.Log
		if l := hclog.LevelFromString(level); l > hclog.Error {
			level = hclog.Error.String()
		}
	}
	return serveDebugWith(ctx, b, info.Name, newLogger(out, level, ctx), watch)
}

func serveDebugWith(ctx context.Context, b Backend, name string, logger hclog.Logger, watch *wire.Watch) (string, <-chan struct{}, error) {
	reattachCh := make(chan *plugin.ReattachConfig, 1)
	closeCh := make(chan struct{})
	cfg := serveConfig(b, logger)
	if watch != nil && watch.Begin != nil {
		cfg.GRPCServer = grpcServerFunc(grpc.ChainUnaryInterceptor(watchCalls(watch.Begin)))
	}
	cfg.Test = &plugin.ServeTestConfig{
		Context:          ctx,
		ReattachConfigCh: reattachCh,
		CloseCh:          closeCh,
	}
	go plugin.Serve(cfg)
	select {
	case rc := <-reattachCh:
		line, err := wire.EncodeReattach(name, rc)
		if err != nil {
			return "", nil, fmt.Errorf("serving backend %q in debug mode: %w", name, err)
		}
		return line, closeCh, nil
	case <-closeCh:
		return "", nil, fmt.Errorf("serving backend %q in debug mode: server stopped before listening", name)
	}
}

func serveConfig(b Backend, logger hclog.Logger) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake(),
		VersionedPlugins: wire.PluginSets(newGRPCServer(b, logger), nil),
		GRPCServer:       grpcServerFunc(),
		Logger:           logger,
	}
}

// grpcServerFunc returns the function making the plugin's gRPC server, with
// go-plugin's options, the protocol's message size and extra.
func grpcServerFunc(extra ...grpc.ServerOption) func([]grpc.ServerOption) *grpc.Server {
	return func(opts []grpc.ServerOption) *grpc.Server {
		opts = append(opts, grpc.MaxRecvMsgSize(maxRecvMsgSize))
		return grpc.NewServer(append(opts, extra...)...)
	}
}

// watchCalls is the interceptor telling a Watch's Begin of every call.
func watchCalls(begin func() (end func())) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		defer begin()()
		return handler(ctx, req)
	}
}

// newLogger returns the JSON logger on w that go-plugin's host side parses.
// With a debug-mode context, it drops the server's complaint about its
// listener being closed once that context is done: that is how debug mode
// stops.
func newLogger(w io.Writer, level string, debugCtx context.Context) hclog.Logger {
	l := hclog.LevelFromString(level)
	if l == hclog.NoLevel {
		l = hclog.Info
	}
	opts := &hclog.LoggerOptions{
		Name:       "plugin",
		Level:      l,
		Output:     w,
		JSONFormat: true,
	}
	if debugCtx != nil {
		opts.Exclude = func(_ hclog.Level, msg string, _ ...any) bool {
			return debugCtx.Err() != nil && msg == "grpc server"
		}
	}
	return hclog.New(opts)
}

func isTrue(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
