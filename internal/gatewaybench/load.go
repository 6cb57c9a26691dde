package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// requestTimeout bounds one request of the bench (a swap included).
const requestTimeout = 60 * time.Second

func chatBody(model string, stream bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"model": model, "stream": stream, "max_tokens": 32,
		"messages": []map[string]string{{"role": "user", "content": "Say hello."}},
	})
	return b
}

// chat sends one non-streamed chat for model to t and checks that the
// answer comes from the server serving served: a swap really happened.
func chat(ctx context.Context, t target, model, served string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/v1/chat/completions", bytes.NewReader(chatBody(model, false)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: %w", t.label, model, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %s: reading the answer: %w", t.label, model, err)
	}
	var ans struct {
		Model string `json:"model"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ans) != nil || ans.Model != served {
		return 0, fmt.Errorf("%s: %s: answer %d %.300s, want 200 from the server of %s", t.label, model, resp.StatusCode, body, served)
	}
	return took, nil
}

// swapTimes asks t for A (a start, not counted), then n times for B and A
// in turn, each a swap, and returns how long each took.
func swapTimes(ctx context.Context, t target, n int) ([]time.Duration, error) {
	if _, err := chat(ctx, t, t.modelA, servedA); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n {
		model, served := t.modelB, servedB
		if i%2 == 1 {
			model, served = t.modelA, servedA
		}
		d, err := chat(ctx, t, model, served)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// throughput runs clients clients sending non-streamed chats for A to t
// back to back, each on its kept-alive connection, for warm-up + d, and
// returns the answers per second of d and the answers of the whole run.
// Any answer but 200 is an error.
func throughput(ctx context.Context, t target, clients int, d time.Duration) (float64, int64, error) {
	const warm = 300 * time.Millisecond
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: requestTimeout}
	body := chatBody(t.modelA, false)
	url := t.base + "/v1/chat/completions"
	start := time.Now()
	from, until := start.Add(warm), start.Add(warm+d)
	var done, all atomic.Int64
	var (
		mu       sync.Mutex
		firstErr error
	)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(until) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("answer %d", resp.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: requests per second: %w", t.label, err)
					}
					mu.Unlock()
					return
				}
				all.Add(1)
				if now := time.Now(); now.After(from) && !now.After(until) {
					done.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return 0, 0, err
	}
	return float64(done.Load()) / d.Seconds(), all.Load(), nil
}

// stampKey precedes the stand-in's stamp in a chunk.
var stampKey = []byte(`"standin_sent_unix_ns":`)

// chunkDelays streams n answers for A from t, one after the other, and
// returns, for every stamped chunk, the time from the stand-in writing it
// to this process reading its line: the read time (taken as soon as the
// line is complete, before any parsing) minus the stamp. Both clocks are
// this host's wall clock.
func chunkDelays(ctx context.Context, t target, n int) ([]time.Duration, error) {
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: requestTimeout}
	defer hc.CloseIdleConnections()
	body := chatBody(t.modelA, true)
	var out []time.Duration
	for i := range n {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/v1/chat/completions", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s: stream %d: %w", t.label, i, err)
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			return nil, fmt.Errorf("%s: stream %d: answer %d %.300s", t.label, i, resp.StatusCode, b)
		}
		br := bufio.NewReader(resp.Body)
		stamped := 0
		for {
			line, err := br.ReadSlice('\n')
			read := time.Now().UnixNano()
			if j := bytes.Index(line, stampKey); j >= 0 {
				rest := line[j+len(stampKey):]
				k := bytes.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
				if k < 0 {
					k = len(rest)
				}
				sent, perr := strconv.ParseInt(string(rest[:k]), 10, 64)
				if perr != nil {
					resp.Body.Close()
					return nil, fmt.Errorf("%s: stream %d: chunk %q: %w", t.label, i, line, perr)
				}
				out = append(out, time.Duration(read-sent))
				stamped++
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				resp.Body.Close()
				return nil, fmt.Errorf("%s: stream %d: %w", t.label, i, err)
			}
		}
		resp.Body.Close()
		if stamped == 0 {
			return nil, fmt.Errorf("%s: stream %d carried no stamped chunk (is STANDIN_CHUNK_STAMP reaching the stand-in?)", t.label, i)
		}
	}
	return out, nil
}

// coldStarts runs the stand-in alone n times and returns, each time, how
// long it took from exec to its /health answering 200, asked every
// millisecond: the least any swapper can take to bring it up.
func coldStarts(ctx context.Context, standin string, env []string, n int) ([]time.Duration, error) {
	var out []time.Duration
	hc := &http.Client{Timeout: time.Second}
	for range n {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(standin, "serve", "/models/floor", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--served-model-name", "floor")
		cmd.Env = env
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/health"
		var took time.Duration
		for deadline := start.Add(30 * time.Second); took == 0 && time.Now().Before(deadline) && ctx.Err() == nil; {
			if resp, err := hc.Get(url); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					took = time.Since(start)
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		hc.CloseIdleConnections()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if took == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("the stand-in on port %d was not ready within 30s", port)
		}
		out = append(out, took)
	}
	return out, nil
}
