package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// Targets of issue 20.
const (
	swapSlack       = 150 * time.Millisecond // a swap: at most the load time + this
	minRPSVsSwap    = 1.0                    // gateway / llama-swap requests per second
	minRPSVsDirect  = 0.5                    // gateway / direct
	maxSwapVsSwap   = 1.0                    // gateway / llama-swap swap time
	maxChunkDelayMS = 5.0                    // a streamed chunk, p99
)

// report prints the figures and the targets, and reports whether every
// target that could be checked was met.
func report(w io.Writer, c config, r results) bool {
	fmt.Fprintf(w, "stand-in: ready %s after it starts, a chunk every %s; gateway access log %t\n\n", c.load, c.chunkDelay, c.accessLog)
	fmt.Fprintf(w, "swap (request for B where A runs, sent to answered), %d each:\n", c.swaps)
	fmt.Fprintf(w, "  %-34s median %-9s p90 %-9s max %s\n", "stand-in alone, exec to ready", ms(pct(r.coldStart, 50)), ms(pct(r.coldStart, 90)), ms(pct(r.coldStart, 100)))
	for _, l := range r.order {
		if d, ok := r.swaps[l]; ok {
			fmt.Fprintf(w, "  %-34s median %-9s p90 %-9s max %s\n", l, ms(pct(d, 50)), ms(pct(d, 90)), ms(pct(d, 100)))
		}
	}
	fmt.Fprintf(w, "\nnon-streamed requests per second, %d clients, %d rounds of %s (median; every round):\n", c.clients, c.rounds, c.duration)
	for _, l := range r.order {
		fmt.Fprintf(w, "  %-34s %8.0f   %s\n", l, median(r.rps[l]), rounds(r.rps[l]))
	}
	fmt.Fprintln(w, "  CPU per answer (µs; from /proc, 10 ms ticks)  clients  swapper  stand-in")
	for _, l := range r.order {
		n := float64(max(r.requests[l], 1))
		m := r.cpu[l]
		per := func(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d.Microseconds())/n) }
		swapper := per(m.swapper)
		if l == "direct" {
			swapper = "-"
		}
		if l == "bare ReverseProxy" {
			l += " (its CPU under swapper)"
		}
		fmt.Fprintf(w, "  %-45s %7s  %7s  %8s\n", l, per(m.client), swapper, per(m.server))
	}
	fmt.Fprintf(w, "\nstreamed chunk, stand-in write to client read, %d answers (%d chunks) each:\n", c.streams, len(r.chunks["gateway"]))
	for _, l := range r.order {
		d := r.chunks[l]
		fmt.Fprintf(w, "  %-34s p50 %-9s p99 %-9s max %s\n", l, ms(pct(d, 50)), ms(pct(d, 99)), ms(pct(d, 100)))
	}

	fmt.Fprintln(w, "\ntargets:")
	ok := true
	check := func(what, got string, met bool) {
		mark := "PASS"
		if !met {
			mark, ok = "MISS", false
		}
		fmt.Fprintf(w, "  %-52s %-22s %s\n", what, got, mark)
	}
	skip := func(what string) {
		fmt.Fprintf(w, "  %-52s %-22s -\n", what, "(no -llama-swap)")
	}
	gs := r.swaps["gateway"]
	limit := c.load + swapSlack
	check(fmt.Sprintf("swap p90 <= load + %s = %s", swapSlack, ms(limit)), ms(pct(gs, 90)), pct(gs, 90) <= limit)
	ls, haveLS := r.swaps["llama-swap"]
	if haveLS {
		x := float64(pct(gs, 50)) / float64(pct(ls, 50))
		check(fmt.Sprintf("swap median <= %.1fx llama-swap's", maxSwapVsSwap), fmt.Sprintf("%.2fx", x), x <= maxSwapVsSwap)
	} else {
		skip(fmt.Sprintf("swap median <= %.1fx llama-swap's", maxSwapVsSwap))
	}
	grps := median(r.rps["gateway"])
	if haveLS {
		x := grps / median(r.rps["llama-swap"])
		check(fmt.Sprintf("requests/s >= %.1fx llama-swap's", minRPSVsSwap), fmt.Sprintf("%.2fx", x), x >= minRPSVsSwap)
	} else {
		skip(fmt.Sprintf("requests/s >= %.1fx llama-swap's", minRPSVsSwap))
	}
	x := grps / median(r.rps["direct"])
	check(fmt.Sprintf("requests/s >= %.1fx the stand-in's own (direct)", minRPSVsDirect), fmt.Sprintf("%.2fx", x), x >= minRPSVsDirect)
	p99 := pct(r.chunks["gateway"], 99)
	check(fmt.Sprintf("streamed chunk p99 <= %.0f ms after it leaves the server", maxChunkDelayMS), ms(p99), p99.Seconds()*1000 <= maxChunkDelayMS)
	return ok
}

// pct is the p-th percentile of d (nearest rank); 100 is the largest.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s)+99)/100 - 1
	return s[min(max(i, 0), len(s)-1)]
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounds(v []float64) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.0f", x)
	}
	return out
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}
