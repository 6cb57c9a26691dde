package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientGoneCancelsUpstream: a client that goes away mid-stream
// cancels the request to the model's server, and its lease is released.
// The server is a stand-in already up at the entry's base_url, so the
// gateway uses it as it is and starts nothing.
func TestClientGoneCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object": "list", "data": [{"id": "up-served", "object": "model"}]}`)
		case "/v1/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				close(cancelled)
			case <-time.After(10 * time.Second):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer upstream.Close()
	f := newFixture(t, fmt.Sprintf(`[{"name": "up", "backend": "vllm", "served_model_id": "up-served", "backend_config": {"base_url": %q}}]`, upstream.URL+"/v1"), "", Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", f.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model": "up", "stream": true, "messages": [{"role": "user", "content": "hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get(HeaderServed) != "up-served" {
		t.Fatalf("status %d, %s %q", resp.StatusCode, HeaderServed, resp.Header.Get(HeaderServed))
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, "one") {
		t.Fatalf("first line %q, %v", line, err)
	}
	cancel()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client went away")
	}
	if st := f.current(f.opts.Lifecycle.Port); st != nil {
		t.Errorf("a server was started: %+v", st)
	}
	// The lease is released: the slot has nothing in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.gw.mu.Lock()
		var inflight int
		for _, s := range f.gw.slots {
			s.mu.Lock()
			inflight += s.inflight
			s.mu.Unlock()
		}
		f.gw.mu.Unlock()
		if inflight == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests still in flight after the client went away", inflight)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
