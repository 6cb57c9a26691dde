package gateway

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/standin"
)

// ollamaEntry is a curated Ollama entry served by the server at baseURL.
func ollamaEntry(name, served, baseURL string) string {
	return fmt.Sprintf(`{"name": %q, "backend": "ollama", "served_model_id": %q, "backend_config": {"base_url": %q}}`, name, served, baseURL)
}

// waitLoaded waits up to d for the stand-in's loaded models to be want.
func waitLoaded(t *testing.T, srv *standin.Server, want []string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := srv.Loaded()
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ollama has %q loaded after %v, want %q", got, d, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settled waits until no request holds or waits for a slot: a client may
// have read the whole answer before the gateway's handler released its
// lease (and stamped the slot's last use).
func (f *fixture) settled() {
	f.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.gw.mu.Lock()
		busy := false
		for _, s := range f.gw.slots {
			s.mu.Lock()
			busy = busy || s.busy || s.inflight > 0 || len(s.waiting) > 0
			s.mu.Unlock()
		}
		f.gw.mu.Unlock()
		if !busy {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatal("requests still hold slots after 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// generateBodies are the bodies of the stand-in's POST /api/generate.
func generateBodies(srv *standin.Server) []string {
	var out []string
	for _, r := range srv.RequestsTo("/api/generate") {
		out = append(out, string(r.Body))
	}
	return out
}

// TestOllamaLoadsOnDemandAndUnloadsWhenIdle: a chat for an entry Ollama
// serves loads its model through the lifecycle (LoadModel: keep_alive -1)
// before forwarding to Ollama's /v1; it stays loaded while idle for less
// than the TTL and is unloaded (keep_alive 0) once idle past it; the next
// chat loads it again, and Close unloads what the gateway loaded.
func TestOllamaLoadsOnDemandAndUnloadsWhenIdle(t *testing.T) {
	srv := standin.NewOllama(standin.Config{Models: []standin.Model{{ID: "tiny"}, {ID: "other"}}})
	t.Cleanup(srv.Close)
	const ttl = 200 * time.Millisecond // the janitor looks every 50 ms
	var clock atomic.Int64             // the gateway's clock, moved by hand
	clock.Store(time.Date(2025, 5, 10, 8, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	f := newFixture(t, "["+ollamaEntry("tiny-model", "tiny", srv.Endpoint())+"]", "", Options{IdleTTL: ttl, Now: now})
	if got := srv.Loaded(); len(got) != 0 {
		t.Fatalf("Ollama has %q loaded before any chat", got)
	}
	load, unload := `{"model":"tiny","keep_alive":-1}`, `{"model":"tiny","keep_alive":0}`

	resp, answer := f.post("/v1/chat/completions", chat("tiny-model"))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, answer)
	}
	for h, want := range map[string]string{HeaderModel: "tiny-model", HeaderBackend: "ollama", HeaderServed: "tiny:latest"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	chats := srv.RequestsTo("/v1/chat/completions")
	if len(chats) != 1 || string(chats[0].Body) != chat("tiny:latest") {
		t.Fatalf("Ollama's /v1 got %d chats (%q), want one for tiny:latest", len(chats), chats)
	}
	if got := srv.Loaded(); !slices.Equal(got, []string{"tiny:latest"}) {
		t.Fatalf("after the chat Ollama has %q loaded, want tiny:latest", got)
	}
	if got, want := generateBodies(srv), []string{load}; !slices.Equal(got, want) {
		t.Errorf("POST /api/generate bodies = %q, want %q (loaded and kept loaded)", got, want)
	}

	// Idle for less than the TTL (several janitor rounds): still loaded.
	f.settled()
	clock.Add(int64(ttl - time.Millisecond))
	time.Sleep(4 * ttl)
	if got := srv.Loaded(); !slices.Equal(got, []string{"tiny:latest"}) {
		t.Fatalf("idle for less than the TTL, Ollama has %q loaded, want tiny:latest", got)
	}
	// Idle past the TTL: unloaded.
	clock.Add(int64(2 * time.Millisecond))
	waitLoaded(t, srv, nil, 20*ttl)
	if got, want := generateBodies(srv), []string{load, unload}; !slices.Equal(got, want) {
		t.Errorf("POST /api/generate bodies = %q, want %q", got, want)
	}

	// The slot knows it is gone: the next chat loads it again, and Close
	// (the clock still, so not the janitor) unloads it.
	resp, answer = f.post("/v1/chat/completions", chat("tiny-model"))
	if resp.StatusCode != 200 {
		t.Fatalf("second chat: status %d: %s", resp.StatusCode, answer)
	}
	if got := srv.Loaded(); !slices.Equal(got, []string{"tiny:latest"}) {
		t.Fatalf("after the second chat Ollama has %q loaded, want tiny:latest", got)
	}
	if err := f.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Loaded(); len(got) != 0 {
		t.Errorf("after Close Ollama has %q loaded, want none", got)
	}
	if got, want := generateBodies(srv), []string{load, unload, load, unload}; !slices.Equal(got, want) {
		t.Errorf("POST /api/generate bodies = %q, want %q", got, want)
	}
}

// TestOllamaModelLoadedBeforeIsLeftLoaded: a model Ollama had loaded
// before the gateway needed it (by `activate`, by hand) is used as it is:
// not loaded again, not unloaded when idle past the TTL nor at Close;
// another model of the same server is loaded and unloaded as usual.
func TestOllamaModelLoadedBeforeIsLeftLoaded(t *testing.T) {
	srv := standin.NewOllama(standin.Config{Models: []standin.Model{{ID: "tiny"}, {ID: "other"}}})
	t.Cleanup(srv.Close)
	const ttl = 200 * time.Millisecond
	var clock atomic.Int64
	clock.Store(time.Date(2025, 5, 10, 8, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	f := newFixture(t, "["+ollamaEntry("tiny-model", "tiny", srv.Endpoint())+","+ollamaEntry("other-model", "other", srv.Endpoint())+"]", "",
		Options{IdleTTL: ttl, Now: now})
	// Loaded by hand (as `activate` does), named as Ollama lists it.
	resp, err := http.Post(srv.URL+"/api/generate", "application/json", strings.NewReader(`{"model":"TINY:latest","keep_alive":-1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	for _, m := range []string{"tiny-model", "other-model"} {
		resp, answer := f.post("/v1/chat/completions", chat(m))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", m, resp.StatusCode, answer)
		}
		if got := resp.Header.Get(HeaderModel); got != m {
			t.Errorf("%s = %q, want %q", HeaderModel, got, m)
		}
	}
	waitLoaded(t, srv, []string{"other:latest", "tiny:latest"}, time.Second)
	f.settled()
	clock.Add(int64(2 * ttl))
	waitLoaded(t, srv, []string{"tiny:latest"}, 20*ttl)
	if err := f.gw.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Loaded(); !slices.Equal(got, []string{"tiny:latest"}) {
		t.Errorf("after Close Ollama has %q loaded, want tiny:latest (loaded before the gateway) alone", got)
	}
	want := []string{`{"model":"TINY:latest","keep_alive":-1}`, `{"model":"other","keep_alive":-1}`, `{"model":"other","keep_alive":0}`}
	if got := generateBodies(srv); !slices.Equal(got, want) {
		t.Errorf("POST /api/generate bodies = %q, want %q (tiny neither loaded again nor unloaded)", got, want)
	}
}
