package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report prints a scenario's table, ratios and checks, and reports whether
// every target was met and the printed aggregates agree.
func report(w io.Writer, s scenario, res result) bool {
	ok := true
	fmt.Fprintf(w, "\n== %s, %d timed runs each\n", s.name, len(res.samples[s.cmds[0].name]))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "command\tmedian\tmin\tmax\tCPU median\tCPU min\tfaults\tmax RSS\t")
	st := map[string]stats{}
	for _, c := range s.cmds {
		x := summarise(res.samples[c.name])
		st[c.name] = x
		mark := ""
		if c.maxRSS > 0 {
			if x.maxRSS < c.maxRSS {
				mark = fmt.Sprintf(" (< %s ok)", mib(c.maxRSS))
			} else {
				mark = fmt.Sprintf(" (>= %s MISSED)", mib(c.maxRSS))
				ok = false
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s%s\t\n", c.name, secs(x.median), secs(x.min), secs(x.max), secs(x.cpu), secs(x.cpuMin), x.faults, mib(x.maxRSS), mark)
	}
	tw.Flush()
	for _, r := range s.ratios {
		num, den := st[r.num], st[r.den]
		what, numMed, numMin, denMed, denMin := "", num.median, num.min, den.median, den.min
		if r.cpu {
			what, numMed, numMin, denMed, denMin = "CPU ", num.cpu, num.cpuMin, den.cpu, den.cpuMin
		}
		if denMed == 0 || denMin == 0 {
			fmt.Fprintf(w, "%s%s/%s: no samples\n", what, r.num, r.den)
			ok = false
			continue
		}
		v := float64(numMed) / float64(denMed)
		// The ratio of the fastest runs is shown too: on a shared machine
		// it is the steadier estimate; the target applies to the medians.
		line := fmt.Sprintf("%s%s/%s = %.2fx (fastest runs: %.2fx)", what, r.num, r.den, v, float64(numMin)/float64(denMin))
		if r.min > 0 {
			if v >= r.min {
				line += fmt.Sprintf(" (target >= %.2fx: ok)", r.min)
			} else {
				line += fmt.Sprintf(" (target >= %.2fx: MISSED)", r.min)
				ok = false
			}
		}
		fmt.Fprintln(w, line)
	}
	aggs := map[string]string{}
	for _, c := range s.cmds {
		if a := aggregateOf(res.output[c.name]); a != "" {
			aggs[c.name] = a
		}
	}
	if len(aggs) >= 2 {
		distinct := map[string]bool{}
		for _, a := range aggs {
			distinct[a] = true
		}
		if len(distinct) == 1 {
			for _, a := range aggs {
				fmt.Fprintf(w, "aggregates agree: %s\n", a)
				break
			}
		} else {
			names := make([]string, 0, len(aggs))
			for n := range aggs {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				fmt.Fprintf(w, "aggregate DIFFERS: %s printed %s\n", n, aggs[n])
			}
			ok = false
		}
	}
	return ok
}

// aggregateLines is the aggregate of sha256sum-style lines: sorted,
// joined by newlines, no trailing newline.
func aggregateLines(lines []string) string {
	lines = slices.Clone(lines)
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
