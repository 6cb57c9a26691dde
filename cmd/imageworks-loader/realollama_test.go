package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/internal/ollamatiny"
)

// freeport VAR: sets VAR to a TCP port free on the loopback.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	port, err := pickPort()
	ts.Check(err)
	ts.Setenv(args[0], strconv.Itoa(port))
}

// pickPort returns a loopback TCP port that was free a moment ago.
func pickPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waithttp URL: waits up to a minute for URL to answer 200.
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithttp URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
		ts.Check(err)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("%s did not answer 200 within a minute (last: %v)", args[0], err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tinygguf FILE: writes the tiny random-weight model of ollamatiny.
func cmdTinyGGUF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tinygguf FILE")
	}
	f, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	_, err = ollamatiny.Write(f, ollamatiny.Options{})
	ts.Check(err)
	ts.Check(f.Close())
}

// sha256of VAR FILE: sets VAR to the hex SHA-256 of FILE.
func cmdSHA256Of(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sha256of VAR FILE")
	}
	sum := sha256.Sum256([]byte(ts.ReadFile(args[1])))
	ts.Setenv(args[0], hex.EncodeToString(sum[:]))
}

// httpcode URL CODE: one GET of URL must answer status CODE.
func cmdHTTPCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: httpcode URL CODE")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	ts.Check(err)
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	resp.Body.Close()
	if got := strconv.Itoa(resp.StatusCode); got != args[1] {
		ts.Fatalf("GET %s = %s, want %s", args[0], got, args[1])
	}
}

// [!] awaitbody DURATION URL TEXT: polls GET URL until it answers 200 with
// a body holding TEXT (with !: a body without it), failing after DURATION.
func cmdAwaitBody(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: [!] awaitbody DURATION URL TEXT")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	start := time.Now()
	c := &http.Client{Timeout: 5 * time.Second}
	var last string
	for {
		resp, err := c.Get(args[1])
		if err == nil {
			last = readAll(resp)
			if resp.StatusCode == http.StatusOK && strings.Contains(last, args[2]) != neg {
				ts.Logf("awaitbody: after %v", time.Since(start).Round(10*time.Millisecond))
				return
			}
		} else {
			last = err.Error()
		}
		if time.Since(start) > d {
			ts.Fatalf("GET %s: no body %s %q within %v (last: %s)", args[1], map[bool]string{false: "with", true: "without"}[neg], args[2], d, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sleep DURATION: waits DURATION.
func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	time.Sleep(d)
}
