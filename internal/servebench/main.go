// Command servebench measures `imageworks-loader serve` against the floor
// the serve issue sets: a bare net/http handler answering a fixed 300-byte
// JSON, loaded the same way in the same run. It runs wrk (32 connections,
// 2 threads by default) against the floor, POST /v1/select and GET
// /v1/models on a copy of the corpus registry, then sends a million
// selects with a Go client and reports serve's memory before and after.
//
//	go run ./internal/servebench -loader bin/imageworks-loader
//
// It is a benchmark, not a test: run it on a quiet machine (make
// bench-serve).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	os.Exit(run())
}

func run() int {
	loader := flag.String("loader", "bin/imageworks-loader", "the imageworks-loader binary (its plugins beside it)")
	registry := flag.String("registry", "testdata/imageworks-registry", "registry folder to copy and serve")
	duration := flag.Duration("d", 10*time.Second, "wrk duration per run")
	conns := flag.Int("c", 32, "connections")
	threads := flag.Int("t", 2, "wrk threads")
	total := flag.Int("n", 1_000_000, "selects sent for the memory check (0 skips it)")
	name := flag.String("name", "qwen3-vl-8b-instruct_(FP8)", "entry to select")
	accessLog := flag.Bool("access-log", false, "let serve write its access log (read and discarded)")
	flag.Parse()
	if err := bench(*loader, *registry, *name, *duration, *conns, *threads, *total, *accessLog); err != nil {
		fmt.Fprintln(os.Stderr, "servebench:", err)
		return 1
	}
	return 0
}

// floorBody is the floor's fixed answer: 300 bytes of JSON.
var floorBody = func() []byte {
	b := []byte(`{"endpoint":"http://localhost:8000/v1","backend":"vllm","internal_model_id":"floor","pad":"`)
	for len(b) < 298 {
		b = append(b, 'x')
	}
	return append(b, '"', '}')
}()

func bench(loader, registry, name string, d time.Duration, conns, threads, total int, accessLog bool) error {
	tmp, err := os.MkdirTemp("", "servebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"model_registry.curated.json", "model_registry.discovered.json"} {
		data, err := os.ReadFile(filepath.Join(registry, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, f), data, 0o644); err != nil {
			return err
		}
	}
	floor, err := startFloor()
	if err != nil {
		return err
	}
	cmd, url, err := startServe(loader, tmp, accessLog)
	if err != nil {
		return err
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	body := fmt.Sprintf(`{"name": %q}`, name)
	if err := warmup(url, body); err != nil {
		return err
	}
	script := filepath.Join(tmp, "select.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.body = %q\nwrk.headers[\"Content-Type\"] = \"application/json\"\n", body)
	if err := os.WriteFile(script, []byte(lua), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrk -t%d -c%d -d%s, one run each, interleaved; serve: %s (access log %t), registry: %s\n", threads, conns, d, loader, accessLog, registry)
	runs := []struct{ label, url, script string }{
		{"floor (bare net/http, 300-byte JSON)", floor + "/", ""},
		{"POST /v1/select", url + "/v1/select", script},
		{"GET /v1/models", url + "/v1/models", ""},
		{"floor again", floor + "/", ""},
	}
	results := make([]wrkResult, len(runs))
	for i, r := range runs {
		res, err := runWrk(r.url, r.script, d, conns, threads)
		if err != nil {
			return fmt.Errorf("%s: %w", r.label, err)
		}
		results[i] = res
		fmt.Printf("%-40s %10.0f req/s   p50 %-9s p99 %-9s\n", r.label, res.rps, res.p50, res.p99)
	}
	fl := (results[0].rps + results[3].rps) / 2
	fmt.Printf("select/floor = %.2fx (target >= 0.5x, p99 < 5ms); models/floor = %.2fx (target >= 0.3x)\n",
		results[1].rps/fl, results[2].rps/fl)
	if total > 0 {
		return memory(cmd.Process.Pid, url, body, conns, total)
	}
	return nil
}

// startFloor serves the floor in this process.
func startFloor() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(floorBody)
		}))
	}()
	return "http://" + ln.Addr().String(), nil
}

// startServe starts serve on the registry in dir and returns its URL.
func startServe(loader, dir string, accessLog bool) (*exec.Cmd, string, error) {
	cmd := exec.Command(loader, "--registry-dir", dir, "serve", "--listen", "127.0.0.1:0", fmt.Sprintf("--access-log=%t", accessLog))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, url, ok := strings.Cut(sc.Text(), "serving the registry on "); ok {
			go func() { _, _ = io.Copy(io.Discard, stderr) }()
			return cmd, url, nil
		}
	}
	_ = cmd.Process.Kill()
	return nil, "", errors.New("serve did not start")
}

func warmup(url, body string) error {
	resp, err := http.Post(url+"/v1/select", "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("warm-up select: %d %s", resp.StatusCode, b)
	}
	return nil
}

type wrkResult struct {
	rps      float64
	p50, p99 string
}

var (
	rpsRE = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p50RE = regexp.MustCompile(`\s50%\s+(\S+)`)
	p99RE = regexp.MustCompile(`\s99%\s+(\S+)`)
	errRE = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

func runWrk(url, script string, d time.Duration, conns, threads int) (wrkResult, error) {
	args := []string{fmt.Sprintf("-t%d", threads), fmt.Sprintf("-c%d", conns), "-d" + d.String(), "--latency"}
	if script != "" {
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if m := errRE.FindSubmatch(out); m != nil {
		return wrkResult{}, fmt.Errorf("%s non-2xx answers:\n%s", m[1], out)
	}
	m, p50, p99 := rpsRE.FindSubmatch(out), p50RE.FindSubmatch(out), p99RE.FindSubmatch(out)
	if m == nil || p50 == nil || p99 == nil {
		return wrkResult{}, fmt.Errorf("cannot read wrk's output:\n%s", out)
	}
	rps, _ := strconv.ParseFloat(string(m[1]), 64)
	return wrkResult{rps: rps, p50: string(p50[1]), p99: string(p99[1])}, nil
}

// memory sends total selects over conns keep-alive connections and
// reports serve's resident memory after the first tenth and at the end.
func memory(pid int, url, body string, conns, total int) error {
	var sent atomic.Int64
	send := func(n int64) error {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		var firstErr atomic.Value
		tr := &http.Transport{MaxIdleConnsPerHost: conns}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr}
		for range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for sent.Add(1) <= n {
					req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/select", strings.NewReader(body))
					resp, err := c.Do(req)
					if err == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							err = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if err != nil {
						firstErr.CompareAndSwap(nil, err)
						cancel()
						return
					}
				}
			}()
		}
		wg.Wait()
		sent.Store(n)
		if e, ok := firstErr.Load().(error); ok {
			return e
		}
		return nil
	}
	start := time.Now()
	if err := send(int64(total / 10)); err != nil {
		return err
	}
	rss1, heap1 := rss(pid), heapInuse(url)
	if err := send(int64(total)); err != nil {
		return err
	}
	rss2, heap2 := rss(pid), heapInuse(url)
	fmt.Printf("memory over %d selects (%s): RSS %s after %d, %s after %d; Go heap in use %s -> %s\n",
		total, time.Since(start).Round(time.Second), mib(rss1), total/10, mib(rss2), total, mib(heap1), mib(heap2))
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// rss reads VmRSS of pid from /proc (0 where there is none).
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// heapInuse reads go_memstats_heap_inuse_bytes from serve's /metrics.
func heapInuse(url string) int64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int64(f)
		}
	}
	return 0
}
