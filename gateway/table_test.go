package gateway

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/standin"
)

// upEntry is a curated vLLM entry whose server s already runs (the
// gateway finds it serving and uses it as it is).
func upEntry(t *testing.T, name string, s *standin.Server, extra string) string {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"name": %q, "backend": "vllm", "served_model_id": "%s-served", "backend_config": {"port": %s, "model_path": "/models/%s", "executable": "/no/such/vllm"}%s}`,
		name, name, u.Port(), name, extra)
}

// TestRegistryChecks: requests ask the registry whether it changed at most
// every tableCheck: an entry's edit (it gains vision) is seen once that
// has passed, not before; a model added to the registry is found by its
// first request all the same, and /v1/models lists it at once.
func TestRegistryChecks(t *testing.T) {
	seer := standin.NewVLLM(standin.Config{Models: []standin.Model{{ID: "seer-served", Vision: true}}})
	defer seer.Close()
	added := standin.NewVLLM(standin.Config{Models: []standin.Model{{ID: "new-served"}}})
	defer added.Close()
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	f := newFixture(t, "["+upEntry(t, "seer", seer, "")+"]", "", Options{Now: clock})
	rewrite := func(entries ...string) {
		t.Helper()
		data := "[" + strings.Join(entries, ",") + "]"
		if err := os.WriteFile(filepath.Join(f.dir, "model_registry.curated.json"), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	image := `{"model": "seer", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}`
	if resp, body := f.post("/v1/chat/completions", image); resp.StatusCode != 409 {
		t.Fatalf("an image for seer without vision: %d %s, want 409", resp.StatusCode, body)
	}

	rewrite(upEntry(t, "seer", seer, `, "capabilities": {"vision": true}`))
	if resp, body := f.post("/v1/chat/completions", image); resp.StatusCode != 409 {
		t.Errorf("an image for seer at once after it gained vision: %d %s, want 409 (the table of a moment ago)", resp.StatusCode, body)
	}
	advance(tableCheck)
	if resp, body := f.post("/v1/chat/completions", image); resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"seer-served"`) {
		t.Errorf("an image for seer %s after it gained vision: %d %s, want 200 from its server", tableCheck, resp.StatusCode, body)
	}

	rewrite(upEntry(t, "seer", seer, `, "capabilities": {"vision": true}`), upEntry(t, "new", added, ""))
	if resp, body := f.post("/v1/chat/completions", chat("new")); resp.StatusCode != 200 || !strings.Contains(string(body), `"model":"new-served"`) {
		t.Errorf("a chat for a model added a moment ago: %d %s, want 200 from its server", resp.StatusCode, body)
	}
	rewrite(upEntry(t, "seer", seer, `, "capabilities": {"vision": true}`), upEntry(t, "new", added, ""), upEntry(t, "newer", added, ""))
	resp, err := f.srv.Client().Get(f.srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	list, err := io.ReadAll(resp.Body)
	if err != nil || !strings.Contains(string(list), `"id":"newer"`) {
		t.Errorf("/v1/models a moment after newer was added: %s (%v), want it listed", list, err)
	}
}
