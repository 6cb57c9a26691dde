package main

import (
	"bufio"
	"context"
	"errors"
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
	"syscall"
	"time"
)

// proc is a process the bench started, with the last lines it wrote.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}

	mu   sync.Mutex
	tail []string
}

// maxTail is how many output lines a proc keeps for an error message.
const maxTail = 6

// startProc runs argv with env and reads its stdout and stderr until it
// exits; each line goes to the tail and to line (which may be nil).
func startProc(name string, argv, env []string, line func(string)) (*proc, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout // one pipe: the lines in order
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.tail = append(p.tail, sc.Text())
			if len(p.tail) > maxTail {
				p.tail = p.tail[1:]
			}
			p.mu.Unlock()
			if line != nil {
				line(sc.Text())
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// lastLines is the end of what p wrote, for an error message.
func (p *proc) lastLines() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop asks p to end (SIGINT: the gateway and llama-swap then stop the
// servers they started) and kills it when it has not within grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// benchEnv is this process's environment without anything that steers the
// loader, the gateway or the stand-in (a state file elsewhere, a token),
// plus extra.
func benchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "IMAGEWORKS_") || strings.HasPrefix(kv, "CHAT_PROXY_") || strings.HasPrefix(kv, "STANDIN_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// freePort is a TCP port free on 127.0.0.1 a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var gatewayLine = regexp.MustCompile(`gateway on (http://\S+)/v1\b`)

// startGateway runs `imageworks-loader --registry-dir reg gateway` on an
// address of its choosing and returns it with the gateway's base URL.
func startGateway(ctx context.Context, loader, reg string, env []string, accessLog bool) (*proc, string, error) {
	found := make(chan string, 1)
	argv := []string{loader, "--registry-dir", reg, "gateway", "--listen", "127.0.0.1:0", "--idle-ttl", "0", "--drain", "2s",
		"--access-log=" + strconv.FormatBool(accessLog)}
	p, err := startProc("gateway", argv, env, func(line string) {
		if m := gatewayLine.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	})
	if err != nil {
		return nil, "", err
	}
	select {
	case base := <-found:
		return p, base, nil
	case <-p.done:
		return nil, "", fmt.Errorf("the gateway exited before listening:\n%s", p.lastLines())
	case <-time.After(30 * time.Second):
		p.stop(5 * time.Second)
		return nil, "", fmt.Errorf("the gateway did not say where it listens within 30s:\n%s", p.lastLines())
	case <-ctx.Done():
		p.stop(5 * time.Second)
		return nil, "", ctx.Err()
	}
}

// startLlamaSwap runs llama-swap on config at port and waits until it
// answers.
func startLlamaSwap(ctx context.Context, bin, config string, port int, env []string) (*proc, string, error) {
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p, err := startProc("llama-swap", []string{bin, "--config", config, "--listen", addr}, env, nil)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status, _, err := get(ctx, base+"/v1/models"); err == nil && status == http.StatusOK {
			return p, base, nil
		}
		select {
		case <-p.done:
			return nil, "", fmt.Errorf("llama-swap exited before answering:\n%s", p.lastLines())
		case <-ctx.Done():
			p.stop(5 * time.Second)
			return nil, "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(5 * time.Second)
			return nil, "", fmt.Errorf("llama-swap did not answer on %s within 30s:\n%s", addr, p.lastLines())
		}
	}
}

func get(ctx context.Context, url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// killStrays kills (SIGKILL) every process whose program is exe: the
// stand-ins the gateway or llama-swap started and did not stop. exe is the
// bench's own temporary build, so nothing else runs it. Linux only (it
// reads /proc); elsewhere it does nothing.
func killStrays(exe string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var killed []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		target, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
		if err != nil || strings.TrimSuffix(target, " (deleted)") != exe {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil || !errors.Is(err, syscall.ESRCH) {
			killed = append(killed, pid)
		}
	}
	return killed
}
