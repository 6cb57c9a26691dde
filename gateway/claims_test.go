package gateway

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/imageworks-ai/loader/core/fleet"
)

// claimFleet is a fleet that records the slot claims held, by port; every
// other call finds it unreachable.
type claimFleet struct {
	fleet.Fleet
	mu   sync.Mutex
	held map[int]string
}

func (f *claimFleet) Claim(_ context.Context, c fleet.SlotClaim) (func(context.Context) error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.held[c.Port] = c.Model
	return func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.held, c.Port)
		return nil
	}, nil
}

func (f *claimFleet) Hosts(context.Context) ([]fleet.Host, error) { return nil, fleet.ErrUnavailable }
func (f *claimFleet) Pin(context.Context, string) (fleet.Pin, error) {
	return fleet.Pin{}, fleet.ErrUnavailable
}
func (f *claimFleet) Close() error { return nil }

func (f *claimFleet) claim(port int) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.held[port]
	return m, ok
}

// A start that fails gives its slot claim up, or, when the server it was
// to replace still runs, claims the slot for that server again: the fleet
// never shows a claim for a model that is not starting.
func TestFailedStartClaims(t *testing.T) {
	exe := standinExe(t, nil)
	port := freePort(t)
	fl := &claimFleet{held: map[int]string{}}
	f := newFleetFixture(t, "["+entry("good", port, exe, "")+","+
		fmt.Sprintf(`{"name": "broken", "backend": "vllm", "backend_config": {"port": %d, "model_path": "/models/b", "executable": %q, "gpu_memory_utilization": "lots"}}`, port, exe)+"]", "", Options{}, fl)
	if resp, body := f.post("/v1/chat/completions", chat("broken")); resp.StatusCode != 424 {
		t.Fatalf("broken: %d %s, want 424", resp.StatusCode, body)
	}
	if m, ok := fl.claim(port); ok {
		t.Errorf("after a failed start on an empty slot the fleet holds a claim for %s, want none", m)
	}
	if resp, body := f.post("/v1/chat/completions", chat("good")); resp.StatusCode != 200 {
		t.Fatalf("good: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.post("/v1/chat/completions", chat("broken")); resp.StatusCode != 424 {
		t.Fatalf("broken: %d %s, want 424", resp.StatusCode, body)
	}
	if m, ok := fl.claim(port); !ok || m != "good" {
		t.Errorf("after a failed swap the fleet's claim is %q (held %t), want good, which still runs", m, ok)
	}
}
