package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// target is one way to reach the models: the gateway, llama-swap or the
// stand-in itself. Its models are asked for by these names; the answer
// names the served ids.
type target struct {
	label          string
	base           string // URL before /v1
	modelA, modelB string // the names a request gives
	swapper        int    // the swapper's pid (0: none, direct)
	serverPort     int    // where the stand-in serving A listens
}

// served ids of the two models, as every answer names them.
const servedA, servedB = "a-id", "b-id"

// results is what bench measured.
type results struct {
	coldStart []time.Duration // the stand-in: exec to ready, no swapper
	swaps     map[string][]time.Duration
	rps       map[string][]float64 // per round
	cpu       map[string]cpuMeter  // CPU time of the requests-per-second runs
	requests  map[string]int64     // answers of those runs
	chunks    map[string][]time.Duration
	order     []string // target labels, in report order
}

// bench sets everything up in a temporary folder, measures and stops
// every process it started.
func bench(ctx context.Context, c config, log io.Writer) (res results, err error) {
	tmp, err := os.MkdirTemp("", "gatewaybench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	standin := filepath.Join(tmp, "standin")
	fmt.Fprintln(log, "building the stand-in ...")
	build := exec.CommandContext(ctx, "go", "build", "-o", standin, "./internal/standin/cmd/standin")
	build.Stdout, build.Stderr = log, log
	if err := build.Run(); err != nil {
		return res, fmt.Errorf("building the stand-in (run from the repository's root): %w", err)
	}
	// Whatever happens, no stand-in outlives the bench.
	defer func() {
		if pids := killStrays(standin); len(pids) > 0 {
			fmt.Fprintf(log, "killed stand-ins left running: %v\n", pids)
		}
	}()
	env := benchEnv("STANDIN_READY_AFTER="+c.load.String(), "STANDIN_CHUNK_DELAY="+c.chunkDelay.String(), "STANDIN_CHUNK_STAMP=1")
	loader, err := filepath.Abs(c.loader)
	if err != nil {
		return res, err
	}

	res = results{swaps: map[string][]time.Duration{}, rps: map[string][]float64{}, chunks: map[string][]time.Duration{},
		cpu: map[string]cpuMeter{}, requests: map[string]int64{}}
	fmt.Fprintln(log, "timing the stand-in's own start ...")
	if res.coldStart, err = coldStarts(ctx, standin, env, 5); err != nil {
		return res, err
	}

	// The gateway: two entries on one port.
	slotPort, err := freePort()
	if err != nil {
		return res, err
	}
	reg := filepath.Join(tmp, "registry")
	if err := writeRegistry(reg, standin, slotPort); err != nil {
		return res, err
	}
	gw, gwBase, err := startGateway(ctx, loader, reg, env, c.accessLog)
	if err != nil {
		return res, err
	}
	defer gw.stop(30 * time.Second)
	gateway := target{label: "gateway", base: gwBase, modelA: "model-a", modelB: "model-b", swapper: gw.cmd.Process.Pid, serverPort: slotPort}
	direct := target{label: "direct", base: "http://127.0.0.1:" + strconv.Itoa(slotPort), modelA: servedA, serverPort: slotPort}
	bare, bareBase, err := startBareProxy(direct.base)
	if err != nil {
		return res, err
	}
	defer bare.stop(5 * time.Second)
	floor := target{label: "bare ReverseProxy", base: bareBase, modelA: servedA, swapper: bare.cmd.Process.Pid, serverPort: slotPort}
	targets := []target{direct, floor, gateway}

	var ls *proc
	if c.llamaSwap != "" {
		lsPort, aPort, bPort, err := freePorts3()
		if err != nil {
			return res, err
		}
		cfg := filepath.Join(tmp, "llama-swap.yaml")
		if err := writeLlamaSwapConfig(cfg, standin, env, aPort, bPort, c.clients); err != nil {
			return res, err
		}
		var lsBase string
		ls, lsBase, err = startLlamaSwap(ctx, c.llamaSwap, cfg, lsPort, env)
		if err != nil {
			return res, err
		}
		defer ls.stop(30 * time.Second)
		targets = append(targets, target{label: "llama-swap", base: lsBase, modelA: "model-a", modelB: "model-b",
			swapper: ls.cmd.Process.Pid, serverPort: aPort})
	}
	for _, t := range targets {
		res.order = append(res.order, t.label)
	}
	fail := func(err error) (results, error) {
		msg := err.Error()
		for _, p := range []*proc{gw, ls} {
			if p != nil {
				msg += "\n--- " + p.name + " (last lines) ---\n" + p.lastLines()
			}
		}
		return res, fmt.Errorf("%s", msg)
	}

	// Swaps, one swapper after the other: A first (a cold start, not
	// counted), then B, A, B ...
	swappers := slices.DeleteFunc(slices.Clone(targets), func(t target) bool { return t.modelB == "" })
	for _, t := range swappers {
		fmt.Fprintf(log, "swapping through %s ...\n", t.label)
		d, err := swapTimes(ctx, t, c.swaps)
		if err != nil {
			return fail(err)
		}
		res.swaps[t.label] = d
	}
	// Every swapper now serves A (the warm-up below makes sure); direct
	// asks the gateway's stand-in, which serves A.
	for _, t := range swappers {
		if _, err := chat(ctx, t, t.modelA, servedA); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(log, "requests per second, %d clients, %d rounds of %s ...\n", c.clients, c.rounds, c.duration)
	for round := 0; round < c.rounds; round++ {
		for _, t := range targets {
			server := standinPID(standin, t.serverPort)
			before := sample(t.swapper, server)
			r, n, err := throughput(ctx, t, c.clients, c.duration)
			if err != nil {
				return fail(err)
			}
			res.cpu[t.label] = res.cpu[t.label].add(sample(t.swapper, server).sub(before))
			res.requests[t.label] += n
			res.rps[t.label] = append(res.rps[t.label], r)
		}
	}
	fmt.Fprintf(log, "streaming, %d answers per target ...\n", c.streams)
	for _, t := range targets {
		d, err := chunkDelays(ctx, t, c.streams)
		if err != nil {
			return fail(err)
		}
		res.chunks[t.label] = d
	}
	return res, nil
}

// freePorts3 is three distinct free ports.
func freePorts3() (a, b, c int, err error) {
	seen := map[int]bool{}
	var ports []int
	for len(ports) < 3 {
		p, err := freePort()
		if err != nil {
			return 0, 0, 0, err
		}
		if !seen[p] {
			seen[p] = true
			ports = append(ports, p)
		}
	}
	return ports[0], ports[1], ports[2], nil
}

// writeRegistry writes a registry of model-a and model-b, vLLM entries on
// port whose server is the stand-in (docs/lifecycle.md, "Trying it without
// a GPU").
func writeRegistry(dir, standin string, port int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var entries []map[string]any
	for _, m := range []struct{ name, served string }{{"model-a", servedA}, {"model-b", servedB}} {
		entries = append(entries, map[string]any{
			"name": m.name, "backend": "vllm", "served_model_id": m.served,
			"backend_config": map[string]any{"model_path": "/models/" + m.name, "port": port, "executable": standin},
		})
	}
	data, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), append(data, '\n'), 0o644)
}

// writeLlamaSwapConfig writes llama-swap's config of the same two models:
// each the stand-in on a port of its own (llama-swap's usual way), asked
// for readiness on /health, never unloaded for idleness, the request's
// model rewritten to the served id as the gateway does, and a concurrency
// limit above the clients (its default, 10, answers 429 past it). Its one
// default group lets one model run at a time: a request for the other
// swaps. Everything else is llama-swap's default.
func writeLlamaSwapConfig(path, standin string, env []string, aPort, bPort, clients int) error {
	var b strings.Builder
	b.WriteString("healthCheckTimeout: 60\nmodels:\n")
	for _, m := range []struct {
		name, served string
		port         int
	}{{"model-a", servedA, aPort}, {"model-b", servedB, bPort}} {
		fmt.Fprintf(&b, "  %s:\n", m.name)
		cmd := fmt.Sprintf("%s serve /models/%s --host 127.0.0.1 --port %d --served-model-name %s", standin, m.name, m.port, m.served)
		fmt.Fprintf(&b, "    cmd: %s\n", quoteYAML(cmd))
		fmt.Fprintf(&b, "    proxy: http://127.0.0.1:%d\n", m.port)
		b.WriteString("    checkEndpoint: /health\n    ttl: 0\n")
		fmt.Fprintf(&b, "    useModelName: %s\n", m.served)
		fmt.Fprintf(&b, "    concurrencyLimit: %d\n", max(4*clients, 64))
		b.WriteString("    env:\n")
		for _, kv := range env {
			if strings.HasPrefix(kv, "STANDIN_") {
				fmt.Fprintf(&b, "      - %s\n", quoteYAML(kv))
			}
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// quoteYAML is s as a YAML double-quoted scalar.
func quoteYAML(s string) string {
	data, _ := json.Marshal(s) // a JSON string is a YAML double-quoted scalar
	return string(data)
}
