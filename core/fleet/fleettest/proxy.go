package fleettest

import (
	"io"
	"net"
	"sync"
)

// proxy forwards a member's client port to the member, so that stopping
// the member can cut its clients' connections at once, as a crash does
// (etcd's own Close waits seconds for open watch and keepalive streams).
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// listenProxy listens on addr and forwards every connection to target.
func listenProxy(addr, target string) (*proxy, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &proxy{l: l, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve(target)
	return p, nil
}

func (p *proxy) serve(target string) {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, b) {
			return
		}
		p.wg.Add(2)
		go p.pipe(c, b)
		go p.pipe(b, c)
	}
}

// track records c and b for close; false when the proxy is closed.
func (p *proxy) track(c, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conns == nil {
		_ = c.Close()
		_ = b.Close()
		return false
	}
	p.conns[c], p.conns[b] = true, true
	return true
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
}

// close stops listening and cuts every forwarded connection.
func (p *proxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}
