package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Environment variables that steer ServerMain, since a stand-in started as
// `vllm serve ...` takes only the real server's flags.
const (
	// EnvBehaviour: "" serves; "never-ready" answers every request 500;
	// "exit" writes a few lines and exits with status 1 at once;
	// "ignore-term" ignores SIGTERM (only SIGKILL ends it).
	EnvBehaviour = "STANDIN_BEHAVIOUR"
	// EnvArgsFile: append the command line, as a JSON array, to this file.
	EnvArgsFile = "STANDIN_ARGS_FILE"
	// EnvReadyAfter: a duration during which the readiness route answers
	// 503 before the server is ready.
	EnvReadyAfter = "STANDIN_READY_AFTER"
)

// ServerMain runs a stand-in of `vllm serve MODEL --host H --port P
// --served-model-name ID ...` (kind VLLM) or `lmdeploy serve api_server
// MODEL --server-name H --server-port P --model-name ID ...` (kind
// LMDeploy), taking the real flags (unknown flags and their values are
// skipped), and serves until SIGTERM. It returns the exit status.
func ServerMain(kind Kind, args []string) int {
	stderr := os.Stderr
	if f := os.Getenv(EnvArgsFile); f != "" {
		line, _ := json.Marshal(append([]string{string(kind)}, args...))
		if fh, err := os.OpenFile(f, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			fmt.Fprintf(fh, "%s\n", line)
			fh.Close()
		}
	}
	host, port, id, err := serverFlags(kind, args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", kind, err)
		return 2
	}
	behaviour := os.Getenv(EnvBehaviour)
	fmt.Fprintf(stderr, "INFO starting %s stand-in for %s on %s:%s\n", kind, id, host, port)
	if behaviour == "exit" {
		fmt.Fprintln(stderr, "ERROR torch.OutOfMemoryError: CUDA out of memory")
		fmt.Fprintln(stderr, "ERROR engine core failed to start")
		return 1
	}
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if behaviour == "ignore-term" {
		signal.Ignore(syscall.SIGTERM)
		sigs = sigs[:1]
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	defer stop()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", kind, err)
		return 1
	}
	cfg := Config{Models: []Model{{ID: id}}}
	if behaviour == "never-ready" {
		cfg.Fail = Failure{Mode: FailInternal}
	}
	d, _ := time.ParseDuration(os.Getenv(EnvReadyAfter))
	if d > 0 && cfg.Fail.Mode == FailNone {
		cfg.Fail = Failure{Mode: FailInternal}
		if kind == LMDeploy {
			cfg.Fail.Path = "/v1/models"
		} else {
			cfg.Fail.Path = "/health"
		}
	}
	closeLog, err := applyEnv(&cfg, os.Getenv)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "%s: %v\n", kind, err)
		return 2
	}
	defer closeLog()
	s := start(kind, cfg, ln)
	defer s.Close()
	if d > 0 && behaviour == "" {
		time.AfterFunc(d, func() { s.SetFailure(Failure{}) })
	}
	fmt.Fprintf(stderr, "INFO serving on %s\n", s.URL)
	<-ctx.Done()
	fmt.Fprintln(stderr, "INFO shutting down")
	return 0
}

// serverFlags reads the address and served id from a real command line.
func serverFlags(kind Kind, args []string) (host, port, id string, err error) {
	want := []string{"serve"}
	var names map[string]*string
	switch kind {
	case VLLM:
		names = map[string]*string{"--host": &host, "--port": &port, "--served-model-name": &id}
	case LMDeploy:
		want = []string{"serve", "api_server"}
		names = map[string]*string{"--server-name": &host, "--server-port": &port, "--model-name": &id}
	default:
		return "", "", "", fmt.Errorf("no server command for %q", kind)
	}
	for _, w := range want {
		if len(args) == 0 || args[0] != w {
			return "", "", "", fmt.Errorf("usage: %s %s MODEL [flags]", kind, strings.Join(want, " "))
		}
		args = args[1:]
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return "", "", "", fmt.Errorf("no model path")
	}
	model := args[0]
	for i := 1; i < len(args); i++ {
		name, val, hasVal := strings.Cut(args[i], "=")
		p, ok := names[name]
		if !ok {
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				return "", "", "", fmt.Errorf("%s needs a value", name)
			}
			i++
			val = args[i]
		}
		*p = val
	}
	if id == "" {
		id = model
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		return "", "", "", fmt.Errorf("no port")
	}
	return host, port, id, nil
}
