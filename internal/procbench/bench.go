package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// command is one process to time.
type command struct {
	name string
	argv []string
	dir  string // working directory; "" = ours
	// maxRSS, when non-zero, is the target for the largest resident set.
	maxRSS int64
}

// parseCommand reads "name=command line"; the line is run by sh -c with
// exec, so that the timed process is the command itself.
func parseCommand(s string) (command, error) {
	name, line, ok := strings.Cut(s, "=")
	name, line = strings.TrimSpace(name), strings.TrimSpace(line)
	if !ok || name == "" || line == "" {
		return command{}, fmt.Errorf("-cmd %q: want name=command line", s)
	}
	return command{name: name, argv: []string{"sh", "-c", "exec " + line}}, nil
}

// ratio compares the median times of two commands: num/den, so "python/go"
// is how many times faster go is. With cpu set ("cpu:a/b") it compares
// CPU time (user+sys) instead of wall time.
type ratio struct {
	num, den string
	min      float64 // target; 0 = none
	cpu      bool
}

func parseRatio(s string) (ratio, error) {
	spec, target, hasTarget := strings.Cut(s, ">=")
	spec = strings.TrimSpace(spec)
	spec, cpu := strings.CutPrefix(spec, "cpu:")
	num, den, ok := strings.Cut(spec, "/")
	r := ratio{num: strings.TrimSpace(num), den: strings.TrimSpace(den), cpu: cpu}
	if !ok || r.num == "" || r.den == "" {
		return r, fmt.Errorf("-ratio %q: want a/b, cpu:a/b, or either >=x", s)
	}
	if hasTarget {
		v, err := strconv.ParseFloat(strings.TrimSpace(target), 64)
		if err != nil || v <= 0 {
			return r, fmt.Errorf("-ratio %q: bad target %q", s, target)
		}
		r.min = v
	}
	return r, nil
}

// scenario is a set of commands timed against each other.
type scenario struct {
	name   string
	cmds   []command
	ratios []ratio
}

// sample is one timed run.
type sample struct {
	wall   time.Duration
	cpu    time.Duration // user+sys, the process's and its reaped children's
	maxRSS int64         // bytes
	faults int64         // pages faulted in, the process's and its reaped children's
}

// result holds every command's samples and the output of its last run.
type result struct {
	samples map[string][]sample
	output  map[string]string
}

// run runs every command once untimed (to warm caches), then n timed
// rounds, each running every command once, in an order rotated each round
// so that no command always follows the same one.
func (s scenario) run(ctx context.Context, n int) (result, error) {
	res := result{samples: map[string][]sample{}, output: map[string]string{}}
	for _, c := range s.cmds {
		if _, _, err := runOnce(ctx, c); err != nil {
			return res, err
		}
	}
	for round := range n {
		for i := range s.cmds {
			c := s.cmds[(i+round)%len(s.cmds)]
			smp, out, err := runOnce(ctx, c)
			if err != nil {
				return res, err
			}
			res.samples[c.name] = append(res.samples[c.name], smp)
			res.output[c.name] = out
		}
	}
	return res, nil
}

// runOnce runs c, timing it from start to exit, and returns its stdout.
func runOnce(ctx context.Context, c command) (sample, string, error) {
	cmd := exec.CommandContext(ctx, c.argv[0], c.argv[1:]...)
	cmd.Dir = c.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return sample{}, "", ctx.Err()
		}
		return sample{}, "", fmt.Errorf("%s (%s): %w: %s", c.name, strings.Join(c.argv, " "), err, lastLine(stderr.String()))
	}
	ps := cmd.ProcessState
	return sample{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), maxRSS: maxRSS(ps), faults: faults(ps)}, stdout.String(), nil
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// stats summarises samples: median, fastest and slowest wall time, median
// and least CPU time, the largest resident set seen and the median count
// of page faults (on this project's virtual machines each costs about
// 12 us, a large part of a short process's time).
type stats struct {
	median, min, max time.Duration
	cpu, cpuMin      time.Duration
	maxRSS           int64
	faults           int64
}

func summarise(s []sample) stats {
	walls := make([]time.Duration, len(s))
	cpus := make([]time.Duration, len(s))
	flts := make([]int64, len(s))
	var st stats
	for i, x := range s {
		walls[i], cpus[i], flts[i] = x.wall, x.cpu, x.faults
		st.maxRSS = max(st.maxRSS, x.maxRSS)
	}
	if len(walls) == 0 {
		return st
	}
	st.median, st.min, st.max = medianMinMax(walls)
	st.cpu, st.cpuMin, _ = medianMinMax(cpus)
	slices.Sort(flts)
	st.faults = flts[len(flts)/2]
	return st
}

// medianMinMax sorts d (not empty) and returns its median, least and
// largest value.
func medianMinMax(d []time.Duration) (median, least, largest time.Duration) {
	slices.Sort(d)
	if m := len(d) / 2; len(d)%2 == 1 {
		median = d[m]
	} else {
		median = (d[m-1] + d[m]) / 2
	}
	return median, d[0], d[len(d)-1]
}
