package fleettest

import (
	"io"
	"net"
	"sync"
)

// proxy forwards a member's client port to the member, so that stopping
// the member can cut its clients' connections at once, as a crash does
// (etcd's own Close waits seconds for open watch and keepalive streams).
// It keeps listening while the member is stopped, refusing every
// connection: the port stays the cluster's, so no other test's server
// (running in parallel, also on "free" ports) can take it meanwhile and
// answer this cluster's clients.
type proxy struct {
	l     net.Listener
	mu    sync.Mutex
	conns map[net.Conn]bool
	down  bool // cut: connections are refused until resume
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
		if p.isDown() {
			_ = c.Close()
			continue
		}
		b, err := net.Dial("tcp", target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, b) {
			continue
		}
		p.wg.Add(2)
		go p.pipe(c, b)
		go p.pipe(b, c)
	}
}

func (p *proxy) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// track records c and b for cut; false (both closed) when the proxy is
// down.
func (p *proxy) track(c, b net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
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
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// cut closes every forwarded connection and refuses new ones until
// resume; the port stays bound.
func (p *proxy) cut() {
	p.mu.Lock()
	p.down = true
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
}

// resume forwards connections again.
func (p *proxy) resume() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// close stops listening and cuts every forwarded connection.
func (p *proxy) close() {
	_ = p.l.Close()
	p.cut()
	p.wg.Wait()
}
