package httpapi

import (
	"context"
	"testing"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/fleet"
)

// otherHostFleet is a fleet with one other host, b, serving m.
type otherHostFleet struct{ fleet.Fleet }

func (otherHostFleet) Hosts(context.Context) ([]fleet.Host, error) {
	return []fleet.Host{{ID: "b", Models: []fleet.Model{{Name: "m", Backend: "vllm", Endpoint: "http://b.test:8000/v1",
		InternalModelID: "m-id", Up: true, Served: true}}}}, nil
}
func (otherHostFleet) Pin(_ context.Context, name string) (fleet.Pin, error) {
	return fleet.Pin{Name: name}, nil
}

// TestSelectAnswersForThisHost: with a fleet, POST /v1/select answers with
// this host's entry in the Python service's shape, even when another host
// serves the model and this host's server is down (the CLI's select and
// the gateway look across hosts; the select cache stays per host).
func TestSelectAnswersForThisHost(t *testing.T) {
	dir := writeCurated(t, `[{"name": "m", "backend": "vllm", "served_model_id": "m-id", "backend_config": {"base_url": "http://127.0.0.1:1/v1"}}]`)
	opts := core.Options{RegistryDir: dir, Backends: inProcess(), Fleet: otherHostFleet{}, HostID: "a"}
	l, err := core.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if sel, err := l.Select(context.Background(), "m", core.SelectOptions{}); err != nil || sel.Host != "b" {
		t.Fatalf("core Select(m) = %+v, %v; want host b's (the fixture's premise)", sel, err)
	}
	h := New(l, Options{OpenWriter: func(ctx context.Context) (*core.Loader, error) { return core.Open(ctx, opts) }})
	code, out := call(t, h, "POST", "/v1/select", `{"name": "m"}`)
	got := decode[map[string]any](t, out)
	if _, named := got["host"]; code != 200 || named || got["endpoint"] != "http://127.0.0.1:1/v1" {
		t.Errorf("POST /v1/select = %d %s, want this host's endpoint and no host field", code, out)
	}
	// Live: this host's server is down, whatever b serves.
	if code, out := call(t, h, "POST", "/v1/select", `{"name": "m", "live": true}`); code != 503 {
		t.Errorf("POST /v1/select live = %d %s, want 503 (this host's server is down)", code, out)
	}
}
