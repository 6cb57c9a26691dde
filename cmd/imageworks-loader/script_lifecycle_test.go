package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/internal/portholder"
)

// lifecycleCmds are the script commands of the lifecycle scripts.
func lifecycleCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"jsonset":   cmdJSONSet,
		"freeport":  cmdFreePort,
		"occupy":    cmdOccupy,
		"alive":     cmdAlive,
		"groupgone": cmdGroupGone,
		"answers":   cmdAnswers,
		"sigkill":   cmdSigkill,
		"bystander": cmdBystander,
		"reapstate": cmdReapState,
		"within":    cmdWithin,
		"httppost":  cmdHTTPPost,
		"termport":  cmdTermPort,
	}
}

// jsonset VAR FILE|stdout QUERY: sets VAR to the value at QUERY.
func cmdJSONSet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonset VAR FILE|stdout QUERY")
	}
	data := ts.ReadFile(args[1])
	var doc any
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		ts.Fatalf("jsonset: %s is not JSON: %v", args[1], err)
	}
	got, err := jsonQuery(doc, args[2])
	ts.Check(err)
	ts.Setenv(args[0], got)
}

// occupy PORT [PIDVAR]: listens on 127.0.0.1:PORT until the script ends,
// as a process the tool did not start (the test process, whose pid PIDVAR
// is set to).
func cmdOccupy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: occupy PORT [PIDVAR]")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+args[0])
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	if len(args) == 2 {
		ts.Setenv(args[1], strconv.Itoa(os.Getpid()))
	}
}

// [!] alive PID: the process runs (and is no zombie).
func cmdAlive(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: alive PID")
	}
	pid, err := strconv.Atoi(args[0])
	ts.Check(err)
	stat, err := os.ReadFile("/proc/" + args[0] + "/stat")
	alive := err == nil && syscall.Kill(pid, 0) == nil
	if alive {
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(strings.TrimSpace(string(stat[i+1:])), "Z") {
			alive = false
		}
	}
	if alive == neg {
		ts.Fatalf("process %d alive = %v, want %v", pid, alive, !neg)
	}
}

// groupgone [-except KEEP] PGID...: no process is left running in the
// groups (but KEEP's), within two seconds; one that has exited but is not
// reaped yet (a zombie, which PID 1 of a container without an init may
// keep for seconds) is not running.
func cmdGroupGone(ts *testscript.TestScript, neg bool, args []string) {
	keep := ""
	if len(args) > 2 && args[0] == "-except" {
		keep, args = args[1], args[2:]
	}
	if neg || len(args) == 0 {
		ts.Fatalf("usage: groupgone [-except KEEP] PGID...")
	}
	for _, a := range args {
		if a == keep {
			continue
		}
		pgid, err := strconv.Atoi(a)
		ts.Check(err)
		deadline := time.Now().Add(2 * time.Second)
		for groupRuns(pgid) {
			if time.Now().After(deadline) {
				ts.Fatalf("process group %d still has processes", pgid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// groupRuns reports whether a process of group pgid runs (is no zombie).
func groupRuns(pgid int) bool {
	if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		return false
	}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		data, err := os.ReadFile(path)
		i := bytes.LastIndexByte(data, ')')
		if err != nil || i < 0 {
			continue
		}
		// Fields 3 (state) and 5 (process group) follow the command name.
		f := strings.Fields(string(data[i+1:]))
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

// [!] answers URL [WANT]: GET URL answers 200 (and its body holds WANT).
func cmdAnswers(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: answers URL [WANT]")
	}
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(args[0])
	ok := false
	body := ""
	if err == nil {
		body = readAll(resp)
		ok = resp.StatusCode == 200 && (len(args) == 1 || strings.Contains(body, args[1]))
	}
	if ok == neg {
		ts.Fatalf("GET %s: answered = %v (err %v, body %q), want %v", args[0], ok, err, body, !neg)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}

// sigkill PID: kills the process with SIGKILL and waits until it is gone.
func cmdSigkill(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sigkill PID")
	}
	pid, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Check(syscall.Kill(pid, syscall.SIGKILL))
	deadline := time.Now().Add(2 * time.Second)
	for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}

// bystander VAR: starts a process the tool knows nothing of (sleep, in its
// own process group), sets VAR to its pid, and kills it when the script
// ends.
func cmdBystander(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: bystander VAR")
	}
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	ts.Check(cmd.Start())
	ts.Defer(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ts.Setenv(args[0], strconv.Itoa(cmd.Process.Pid))
}

// reapstate FILE: when the script ends, SIGKILLs the process group a state
// file FILE still names, so no failed script leaves a server behind.
func cmdReapState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: reapstate FILE")
	}
	path := ts.MkAbs(args[0])
	ts.Defer(func() {
		var st struct {
			PID        int    `json:"pid"`
			StartTicks uint64 `json:"start_ticks"`
		}
		data, err := os.ReadFile(path)
		if err != nil || json.Unmarshal(data, &st) != nil || st.PID <= 0 || st.StartTicks == 0 {
			return
		}
		_ = syscall.Kill(-st.PID, syscall.SIGKILL)
	})
}

// within DURATION STATUS PROG ARGS...: PROG exits with STATUS within
// DURATION.
func cmdWithin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: within DURATION STATUS PROG ARGS...")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	start := time.Now()
	got := execStatus(ts, args[2], args[3:]...)
	took := time.Since(start)
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[2], got, want)
	}
	if took > d {
		ts.Fatalf("%s took %v, want within %v", args[2], took.Round(time.Millisecond), d)
	}
}

// execStatus runs prog and returns its exit status; failing to run it at
// all fails the script.
func execStatus(ts *testscript.TestScript, prog string, args ...string) int {
	err := ts.Exec(prog, args...)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", prog, err)
	}
	return 0
}

// httppost URL FILE [STATUS]: POSTs FILE's content as JSON to URL, wants
// STATUS (default 200), and leaves the answer on stdout as curl -i shows
// it: the status line, the headers (one "Name: value" line each, sorted),
// a blank line, the body.
func cmdHTTPPost(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: httppost URL FILE [STATUS]")
	}
	want := http.StatusOK
	if len(args) == 3 {
		var err error
		want, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Post(args[0], "application/json", strings.NewReader(ts.ReadFile(args[1])))
	ts.Check(err)
	body := readAll(resp)
	var b strings.Builder
	b.WriteString(resp.Proto + " " + resp.Status + "\n")
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range resp.Header[k] {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n" + body)
	ts.Stdout().Write([]byte(b.String()))
	if resp.StatusCode != want {
		ts.Fatalf("POST %s: %s, want %d: %s", args[0], resp.Status, want, body)
	}
}

// termport PORT: sends SIGTERM to the process listening on PORT (a
// background command: testscript's kill knows only INT and KILL).
func cmdTermPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: termport PORT")
	}
	port, err := strconv.Atoi(args[0])
	ts.Check(err)
	h, ok := portholder.Find(context.Background(), port)
	if !ok {
		ts.Fatalf("termport: no process found listening on port %d", port)
	}
	ts.Check(syscall.Kill(h.PID, syscall.SIGTERM))
}
