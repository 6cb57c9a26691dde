// Command procbench times whole processes: it runs commands several times
// each, interleaved, and reports the median wall time, the largest
// resident set (from the kernel's rusage) and ratios between commands.
//
// With no -cmd flag it runs the artifact-hashing benchmark of issue 3: it
// writes a 4-shard model (4×160 MiB) and a single 400 MiB file to a
// temporary folder, makes a one-entry registry for each, and times
//
//	bin/imageworks-loader --registry-dir DIR verify NAME
//
// against the reference implementation's way (Python hashlib, 1 MiB reads,
// one file after another) and, when bin/bench/hashloop was built, a plain
// Go read-and-hash loop (CPU time compared), checking that all print the
// same aggregate.
// The temporary folder is removed afterwards, also on Ctrl-C.
//
//	go run ./internal/procbench                   # the sizes
//	go run ./internal/procbench -standin          # sha256sum in place of the loader
//	go run ./internal/procbench -shard-mb 8 -single-mb 16 -n 3   # quick
//	go run ./internal/procbench -cmd 'a=sleep 0.1' -cmd 'b=sleep 0.2' -ratio 'b/a>=1.5'
//
// Exit status: 0 when every command ran (and, with -check, every target was
// met), 1 otherwise, 2 for bad flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	runs     int
	loader   string
	hashloop string
	standin  bool
	shards   int
	shardMB  int
	singleMB int
	tmp      string
	check    bool
	cmds     []command
	ratios   []ratio
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("procbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.runs, "n", 5, "timed runs per command (after one untimed warm-up run)")
	fs.StringVar(&c.loader, "loader", "bin/imageworks-loader", "the imageworks-loader binary to time")
	fs.StringVar(&c.hashloop, "hashloop", "bin/bench/hashloop", "a plain Go read-and-hash loop (./internal/procbench/hashloop) to compare the loader's CPU time with; skipped when missing")
	fs.BoolVar(&c.standin, "standin", false, "time sha256sum instead of the loader (to check the harness)")
	fs.IntVar(&c.shards, "shards", 4, "shards of the multi-file model")
	fs.IntVar(&c.shardMB, "shard-mb", 160, "size of each shard in MiB")
	fs.IntVar(&c.singleMB, "single-mb", 400, "size of the single-file model in MiB")
	fs.StringVar(&c.tmp, "tmp", "", "where to create the temporary fixture folder (default: the system's)")
	fs.BoolVar(&c.check, "check", false, "exit 1 when a target is missed")
	fs.Func("cmd", "`name=command line` to time (repeatable; run by sh with exec); replaces the built-in benchmark", func(s string) error {
		cmd, err := parseCommand(s)
		c.cmds = append(c.cmds, cmd)
		return err
	})
	fs.Func("ratio", "`a/b[>=x]`: report median(a)/median(b), optionally against a target; cpu:a/b compares CPU time (user+sys) (repeatable; with -cmd)", func(s string) error {
		r, err := parseRatio(s)
		c.ratios = append(c.ratios, r)
		return err
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if c.runs < 1 || c.shards < 1 || c.shardMB < 1 || c.singleMB < 1 {
		return c, errors.New("-n, -shards, -shard-mb and -single-mb must be at least 1")
	}
	if len(c.ratios) > 0 && len(c.cmds) == 0 {
		return c, errors.New("-ratio needs -cmd")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "procbench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var scenarios []scenario
	if len(c.cmds) > 0 {
		scenarios = []scenario{{name: "commands", cmds: c.cmds, ratios: c.ratios}}
	} else {
		tmp, err := os.MkdirTemp(c.tmp, "procbench-")
		if err != nil {
			fmt.Fprintln(stderr, "procbench:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		fmt.Fprintf(stderr, "procbench: writing fixtures under %s\n", tmp)
		scenarios, err = hashScenarios(ctx, tmp, c)
		if err != nil {
			fmt.Fprintln(stderr, "procbench:", err)
			return 1
		}
	}
	ok := true
	for _, s := range scenarios {
		res, err := s.run(ctx, c.runs)
		if err != nil {
			fmt.Fprintln(stderr, "procbench:", err)
			return 1
		}
		if !report(stdout, s, res) {
			ok = false
		}
	}
	if c.check && !ok {
		return 1
	}
	return 0
}
