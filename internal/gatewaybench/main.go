// Command gatewaybench measures `imageworks-loader gateway` against the
// targets of issue 20, on a stand-in vLLM server (internal/standin) that
// takes -load (300 ms) to become ready, and beside llama-swap when
// -llama-swap names its binary (built by hand from its public source; the
// project never depends on it):
//
//   - swap: a request for model B on the port where A runs, timed from the
//     request sent to the answer read, A and B in turn -swaps times:
//     median and p90 at most the load time + 150 ms, and at most 1.0x
//     llama-swap's;
//   - non-streamed requests per second with -c clients for a model already
//     up: through the gateway at least 1.0x llama-swap's and 0.5x the
//     stand-in's own (the same server, asked directly);
//   - a streamed chunk reaches the client within 5 ms (p99) of leaving the
//     server: the stand-in stamps every chunk with the wall clock it is
//     written at (STANDIN_CHUNK_STAMP), the client subtracts it from the
//     time it reads the chunk; both run on this host, one clock. Direct
//     streams show what the client's own reading costs.
//
// It builds the stand-in into a temporary folder, writes a registry of two
// entries on one port whose backend_config.executable is the stand-in, and
// (for llama-swap) a config.yaml of the same two models; everything
// listens on 127.0.0.1. Every process it started, and every stand-in they
// started, is stopped before it returns, also on error or Ctrl-C.
//
//	go run ./internal/gatewaybench -loader bin/imageworks-loader [-llama-swap PATH]
//
// It is a benchmark, not a test: run it on a quiet machine (make
// bench-gateway). Exit status: 0 when everything ran (with -check, and
// every target was met), 1 otherwise, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	if target := os.Getenv(envBareProxy); target != "" {
		os.Exit(bareProxy(target))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is the command line.
type config struct {
	loader     string
	llamaSwap  string
	load       time.Duration
	swaps      int
	clients    int
	duration   time.Duration
	rounds     int
	streams    int
	chunkDelay time.Duration
	accessLog  bool
	check      bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("gatewaybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.loader, "loader", "bin/imageworks-loader", "the imageworks-loader binary (its plugins beside it)")
	fs.StringVar(&c.llamaSwap, "llama-swap", "", "a llama-swap binary to measure side by side (none: the gateway and the stand-in only)")
	fs.DurationVar(&c.load, "load", 300*time.Millisecond, "how long the stand-in takes to be ready (STANDIN_READY_AFTER)")
	fs.IntVar(&c.swaps, "swaps", 10, "timed swaps per swapper")
	fs.IntVar(&c.clients, "c", 8, "concurrent clients for requests per second")
	fs.DurationVar(&c.duration, "d", 3*time.Second, "duration of one requests-per-second run")
	fs.IntVar(&c.rounds, "rounds", 3, "requests-per-second runs per target, interleaved (the median counts)")
	fs.IntVar(&c.streams, "streams", 20, "streamed answers per target (12 stamped chunks each)")
	fs.DurationVar(&c.chunkDelay, "chunk-delay", 10*time.Millisecond, "the stand-in's pause before each streamed chunk (STANDIN_CHUNK_DELAY)")
	fs.BoolVar(&c.accessLog, "access-log", true, "run the gateway with its access log (its default)")
	fs.BoolVar(&c.check, "check", false, "exit 1 when a target is missed")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.swaps < 1 || c.clients < 1 || c.rounds < 1 || c.streams < 1 || c.duration <= 0 || c.load <= 0 {
		return c, errors.New("-swaps, -c, -rounds, -streams, -d and -load must be positive")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "gatewaybench:", err)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench(ctx, c, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "gatewaybench:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d cores (GOMAXPROCS %d), %s/%s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	if !report(stdout, c, res) && c.check {
		return 1
	}
	return 0
}
