package plugintest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// closedEndpoint returns an OpenAI-style base URL on a local port nothing
// listens on.
func closedEndpoint() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		// No loopback networking at all: any port is closed.
		return "http://127.0.0.1:9/v1"
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr + "/v1"
}

// portOf returns the port of an endpoint made by closedEndpoint.
func portOf(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 9
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		return 9
	}
	return p
}

// blackHole is a TCP server that accepts connections, reads whatever comes
// and never answers. It tracks which connections the client has closed.
type blackHole struct {
	l         net.Listener
	mu        sync.Mutex
	open      int
	accepted  chan struct{} // closed on the first connection
	changed   chan struct{} // closed and replaced whenever open changes
	closeOnce sync.Once
	conns     []net.Conn
}

func newBlackHole() *blackHole {
	b := &blackHole{accepted: make(chan struct{}), changed: make(chan struct{})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return b // Endpoint is then a closed port; the checks still run.
	}
	b.l = l
	go b.serve()
	return b
}

func (b *blackHole) serve() {
	first := true
	for {
		c, err := b.l.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.open++
		b.conns = append(b.conns, c)
		b.notifyLocked()
		if first {
			close(b.accepted)
			first = false
		}
		b.mu.Unlock()
		go func() {
			_, _ = io.Copy(io.Discard, c)
			_ = c.Close()
			b.mu.Lock()
			b.open--
			b.notifyLocked()
			b.mu.Unlock()
		}()
	}
}

func (b *blackHole) notifyLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// Endpoint is the server's OpenAI-style base URL.
func (b *blackHole) Endpoint() string {
	if b.l == nil {
		return "http://127.0.0.1:9/v1"
	}
	return fmt.Sprintf("http://%s/v1", b.l.Addr())
}

// Port is the server's port (9, a closed one, when it could not listen).
func (b *blackHole) Port() int { return portOf(b.Endpoint()) }

// WaitConnected waits up to d for a first connection; it gives up early when
// stop is closed.
func (b *blackHole) WaitConnected(d time.Duration, stop <-chan struct{}) bool {
	select {
	case <-b.accepted:
		// Give the client a moment to send its request.
		time.Sleep(50 * time.Millisecond)
		return true
	case <-stop:
		select {
		case <-b.accepted:
			return true
		default:
			return false
		}
	case <-time.After(d):
		return false
	}
}

// WaitAllClosed waits up to d until the client has closed every
// connection.
func (b *blackHole) WaitAllClosed(d time.Duration) bool {
	deadline := time.After(d)
	for {
		b.mu.Lock()
		open, changed := b.open, b.changed
		b.mu.Unlock()
		if open == 0 {
			return true
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// Close stops the server and drops its connections.
func (b *blackHole) Close() {
	b.closeOnce.Do(func() {
		if b.l == nil {
			return
		}
		_ = b.l.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
	})
}

// tinyPNG returns a 2x2 red PNG.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for x := 0; x < 2; x++ {
		for y := 0; y < 2; y++ {
			img.Set(x, y, color.RGBA{R: 255, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding to memory does not fail
	}
	return buf.Bytes()
}
