package core

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/sdk"
)

func TestAdvertise(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"http://127.0.0.1:8000/v1", "http://gpu-b:8000/v1"},
		{"http://localhost:11434", "http://gpu-b:11434"},
		{"http://[::1]:9/v1", "http://gpu-b:9/v1"},
		{"http://0.0.0.0:8000/v1", "http://gpu-b:8000/v1"},
		{"http://10.1.2.3:8000/v1", "http://10.1.2.3:8000/v1"},
		{"http://models.example:8000/v1", "http://models.example:8000/v1"},
		{"not a url", "not a url"},
	} {
		if got := advertise(c.in, "gpu-b"); got != c.want {
			t.Errorf("advertise(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestAdvertiseIPv6: an IPv6 address advertised, bracketed or not, is
// bracketed once in the URL, with a port or without.
func TestAdvertiseIPv6(t *testing.T) {
	for _, c := range []struct{ in, host, want string }{
		{"http://127.0.0.1:8000/v1", "fd00::2", "http://[fd00::2]:8000/v1"},
		{"http://127.0.0.1:8000/v1", "[fd00::2]", "http://[fd00::2]:8000/v1"},
		{"https://localhost/v1", "fd00::2", "https://[fd00::2]/v1"},
		{"https://[::1]/v1", "[fd00::2]", "https://[fd00::2]/v1"},
		{"http://localhost/v1", "10.0.0.2", "http://10.0.0.2/v1"},
	} {
		if got := advertise(c.in, c.host); got != c.want {
			t.Errorf("advertise(%q, %q) = %q, want %q", c.in, c.host, got, c.want)
		}
	}
}

// recordingFleet keeps what was published; the rest of fleet.Fleet is
// not used by Publish.
type recordingFleet struct {
	fleet.Fleet
	got []fleet.Host
}

func (f *recordingFleet) Publish(_ context.Context, h fleet.Host) error {
	f.got = append(f.got, h)
	return nil
}

func TestObserve(t *testing.T) {
	dir := writeRegistry(t, `[
  {"name": "a", "backend": "keyed", "served_model_id": "org/a", "backend_config": {"base_url": "http://127.0.0.1:8000/v1", "api_key_env": "GOOD"}, "roles": ["chat"],
   "capabilities": {"vision": true}, "probes": {"vision": {"vision_ok": true, "timestamp": "2026-11-20T10:00:00Z", "probe_version": "1", "latency_ms": 5, "notes": ""}},
   "artifacts": {"aggregate_sha256": "ab12", "files": []}},
  {"name": "b", "backend": "keyed", "served_model_id": "org/b", "backend_config": {"base_url": "http://127.0.0.1:8000/v1", "api_key_env": "BAD"}},
  {"name": "old", "backend": "keyed", "served_model_id": "org/old", "deprecated": true}
]`, "")
	rf := &recordingFleet{}
	l, err := Open(context.Background(), Options{
		RegistryDir: dir, HostID: "gpu-b", Fleet: rf,
		Backends: map[string]sdk.Backend{"keyed": keyedBackend{}},
		Getenv:   func(k string) string { return map[string]string{"GOOD": "good", "BAD": "bad"}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	err = l.Publish(context.Background(), ObserveOptions{
		Lifecycle: LifecycleOptions{Supervisor: supervise.Options{StateFile: filepath.Join(t.TempDir(), "state.json")}},
		Gateway:   "http://gpu-b:8100",
		Slots:     []fleet.Slot{{Port: 8000, Model: "a", Endpoint: "http://127.0.0.1:8000/v1"}},
	})
	if err != nil || len(rf.got) != 1 {
		t.Fatalf("Publish = %v, published %d", err, len(rf.got))
	}
	h := rf.got[0]
	if h.ID != "gpu-b" || h.Advertise != "gpu-b" || h.Gateway != "http://gpu-b:8100" {
		t.Errorf("host = %q advertise %q gateway %q", h.ID, h.Advertise, h.Gateway)
	}
	if len(h.Models) != 2 {
		t.Fatalf("models = %+v, want a and b (not the deprecated one)", h.Models)
	}
	a, b := h.Models[0], h.Models[1]
	if a.Name != "a" || a.Endpoint != "http://gpu-b:8000/v1" || a.InternalModelID != "org/a" || !a.Up || !a.Served ||
		a.Verified != "ab12" || a.Probe == nil || !a.Probe.Passed || !a.Capabilities["vision"] || len(a.Roles) != 1 {
		t.Errorf("model a = %+v", a)
	}
	if b.Name != "b" || !b.Up || b.Served {
		t.Errorf("model b = %+v, want up (a's key found the server) but not served (its key is refused)", b)
	}
	if len(h.Endpoints) != 1 || h.Endpoints[0].URL != "http://gpu-b:8000/v1" || !h.Endpoints[0].Up || len(h.Endpoints[0].Served) != 1 {
		t.Errorf("endpoints = %+v", h.Endpoints)
	}
	if len(h.Slots) != 1 || h.Slots[0].Endpoint != "http://gpu-b:8000/v1" {
		t.Errorf("slots = %+v", h.Slots)
	}
}

func TestPublishWithoutFleet(t *testing.T) {
	l := open(t, writeRegistry(t, `[{"name": "a", "backend": "vllm"}]`, ""), nil)
	if err := l.Publish(context.Background(), ObserveOptions{}); err != nil {
		t.Fatal(err)
	}
	l.KeepPublished(context.Background(), 0, func() ObserveOptions { t.Fatal("observed without a fleet"); return ObserveOptions{} })
}

// conflictOnceFleet refuses the first publication as another process's
// host, then takes them.
type conflictOnceFleet struct {
	recordingFleet
	mu    sync.Mutex
	calls int
}

func (f *conflictOnceFleet) published() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

func (f *conflictOnceFleet) Publish(ctx context.Context, h fleet.Host) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return &fleet.ConflictError{Key: "hosts/" + h.ID, Current: &fleet.Host{ID: h.ID}}
	}
	return f.recordingFleet.Publish(ctx, h)
}

// TestKeepPublishedSecondProcess: a host id another process publishes
// (serve beside gateway) is an info line, not a warning, and this one
// publishes once the other stops.
func TestKeepPublishedSecondProcess(t *testing.T) {
	var logs strings.Builder
	f := &conflictOnceFleet{}
	l, err := Open(context.Background(), Options{
		RegistryDir: writeRegistry(t, `[{"name": "a", "backend": "keyed", "backend_config": {"base_url": "http://127.0.0.1:1/v1"}}]`, ""),
		HostID:      "h", Fleet: f,
		Backends: map[string]sdk.Backend{"keyed": keyedBackend{}},
		Logger:   hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Info}),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.KeepPublished(ctx, time.Millisecond, func() ObserveOptions {
			return ObserveOptions{Lifecycle: LifecycleOptions{Supervisor: supervise.Options{StateFile: filepath.Join(t.TempDir(), "s.json")}}}
		})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for f.published() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if f.published() == 0 {
		t.Fatal("never published after the conflict")
	}
	out := logs.String()
	if !strings.Contains(out, "[INFO]  fleet: this host is published by another process") || strings.Contains(out, "[WARN]") {
		t.Errorf("log:\n%s\nwant the conflict as one info line, no warning", out)
	}
}
