package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"time"
)

// envBareProxy makes this program a bare reverse proxy to the URL it
// holds: the floor of any Go gateway (net/http's server, ReverseProxy and
// Transport, and nothing else: no routing, no rewriting, no logging).
const envBareProxy = "GATEWAYBENCH_BARE_PROXY"

// bareProxy serves the bare proxy on 127.0.0.1, printing its URL first.
func bareProxy(target string) int {
	u, err := url.Parse(target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare proxy:", err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare proxy:", err)
		return 1
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}
	fmt.Printf("bare proxy on http://%s\n", ln.Addr())
	err = http.Serve(ln, rp)
	fmt.Fprintln(os.Stderr, "bare proxy:", err)
	return 1
}

// startBareProxy runs this program as a bare proxy to target and returns
// it with its URL.
func startBareProxy(target string) (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	found := make(chan string, 1)
	p, err := startProc("bare proxy", []string{self}, benchEnv(envBareProxy+"="+target), func(line string) {
		if u, ok := strings.CutPrefix(line, "bare proxy on "); ok {
			select {
			case found <- u:
			default:
			}
		}
	})
	if err != nil {
		return nil, "", err
	}
	select {
	case u := <-found:
		return p, u, nil
	case <-p.done:
		return nil, "", fmt.Errorf("the bare proxy exited:\n%s", p.lastLines())
	case <-time.After(10 * time.Second):
		p.stop(time.Second)
		return nil, "", fmt.Errorf("the bare proxy did not start:\n%s", p.lastLines())
	}
}
