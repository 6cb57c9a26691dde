package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// upBackend resolves to the entry's base_url and, asked for a live check,
// finds the server up and serving exactly when its URL is in up.
type upBackend struct {
	sdk.Unimplemented
	up map[string]bool
}

func (upBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "up", Version: "1"}, nil
}

func (b upBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := sdk.Resolution{Endpoint: req.Entry.Config.BaseURL, InternalModelID: req.Entry.Name}
	if req.Live {
		up := b.up[req.Entry.Config.BaseURL]
		res.Live = &sdk.HealthStatus{Up: up, Models: []sdk.ModelStatus{{ID: req.Entry.Name, Served: up}}}
	}
	return res, nil
}

// openHost opens dir as host id of a fleet.
func openHost(t *testing.T, dir, id string, f fleet.Fleet) *Loader {
	t.Helper()
	l, err := Open(context.Background(), Options{
		RegistryDir: dir,
		Backends:    map[string]sdk.Backend{"vllm": vllm.New(), "up": upBackend{up: map[string]bool{"http://a-up:1/v1": true}}},
		Getenv:      func(k string) string { return map[string]string{"HOME": dir}[k] },
		Now:         func() time.Time { return time.Date(2026, 11, 25, 12, 30, 45, 0, time.UTC) },
		Fleet:       f,
		HostID:      id,
	})
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// eachFleet runs test against the in-memory fleet and real etcd.
func eachFleet(t *testing.T, test func(t *testing.T, connect func(string) fleet.Fleet, cut func())) {
	for name, mk := range map[string]fleets{"mem": memFleets, "etcd": etcdFleets} {
		t.Run(name, func(t *testing.T) {
			connect, cut := mk(t)
			test(t, connect, cut)
		})
	}
}

const hostARegistry = `[
  {"name": "shared", "backend": "up", "backend_config": {"base_url": "http://a-down:1/v1"}},
  {"name": "local-up", "backend": "up", "backend_config": {"base_url": "http://a-up:1/v1"}},
  {"name": "vis", "backend": "up", "capabilities": {"vision": true}, "backend_config": {"base_url": "http://a-down:2/v1"}}
]`

func model(name, endpoint string, up bool) fleet.Model {
	return fleet.Model{Name: name, Backend: "up", Endpoint: endpoint, InternalModelID: name, Up: up, Served: up}
}

func TestSelectAcrossHosts(t *testing.T) {
	eachFleet(t, func(t *testing.T, connect func(string) fleet.Fleet, cut func()) {
		ctx := context.Background()
		a := openHost(t, writeRegistry(t, hostARegistry, ""), "a", connect("a"))
		b, c := connect("b"), connect("c")
		visB, visC := model("vis", "http://b:8003/v1", true), model("vis", "http://c:8003/v1", true)
		visB.Capabilities, visC.Capabilities = map[string]bool{"vision": true}, map[string]bool{"vision": true}
		visB.Probe, visC.Probe = &fleet.Probe{Passed: false}, &fleet.Probe{Passed: true}
		onlyC := model("only-b", "http://c:8001/v1", true)
		onlyC.Verified = "aaaa"
		if err := b.Publish(ctx, fleet.Host{ID: "b", Advertise: "b", Models: []fleet.Model{
			model("shared", "http://b:8000/v1", true), model("only-b", "http://b:8001/v1", true),
			model("local-up", "http://b:8002/v1", true), visB,
		}}); err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(ctx, fleet.Host{ID: "c", Advertise: "c", Models: []fleet.Model{onlyC, visC}}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, why  string
			opts       SelectOptions
			host, endp string
		}{
			{"only-b", "only other hosts know it: the first host id of the equals", SelectOptions{}, "b", "http://b:8001/v1"},
			{"shared", "this host's server is down, b's serves", SelectOptions{}, "b", "http://b:8000/v1"},
			{"local-up", "equal: this host first", SelectOptions{}, "a", "http://a-up:1/v1"},
			{"vis", "b is first by id", SelectOptions{}, "b", "http://b:8003/v1"},
			{"vis", "vision required: b's last probe failed", SelectOptions{Require: []string{"vision"}}, "c", "http://c:8003/v1"},
		} {
			sel, err := a.Select(ctx, tc.name, tc.opts)
			if err != nil || sel.Host != tc.host || sel.Endpoint != tc.endp {
				t.Errorf("Select(%s, %v) = %+v, %v; want host %s at %s (%s)", tc.name, tc.opts, sel, err, tc.host, tc.endp, tc.why)
			}
		}

		// HereOnly: this host's registry alone (a gateway asking about its
		// own servers, serve's HTTP API).
		if _, err := a.Select(ctx, "only-b", SelectOptions{HereOnly: true}); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Select(only-b, HereOnly) = %v; want not found", err)
		}
		if sel, err := a.Select(ctx, "shared", SelectOptions{HereOnly: true}); err != nil || sel.Host != "" || sel.Endpoint != "http://a-down:1/v1" {
			t.Errorf("Select(shared, HereOnly) = %+v, %v; want this host's entry, no host named", sel, err)
		}

		// A locked pin with an expected hash: c's verified copy beats b's.
		if _, err := b.PutPin(ctx, fleet.Pin{Name: "only-b", Locked: true, ExpectedAggregate: "aaaa", By: "b"}); err != nil {
			t.Fatal(err)
		}
		if sel, err := a.Select(ctx, "only-b", SelectOptions{}); err != nil || sel.Host != "c" {
			t.Errorf("Select(only-b) with a pin only c's copy meets = %+v, %v; want host c", sel, err)
		}

		cut()
		sel, err := a.Select(ctx, "local-up", SelectOptions{})
		if err != nil || sel.Host != "a" || !strings.Contains(strings.Join(sel.Notes, ";"), "fleet unreachable") {
			t.Errorf("Select(local-up) with the fleet cut = %+v, %v; want this host's answer with a note", sel, err)
		}
		if _, err := a.Select(ctx, "only-b", SelectOptions{}); !errors.Is(err, registry.ErrNotFound) {
			t.Errorf("Select(only-b) with the fleet cut = %v; want not found", err)
		}
	})
}

func TestSelectWithoutFleetNamesNoHost(t *testing.T) {
	l := openHost(t, writeRegistry(t, hostARegistry, ""), "a", nil)
	if sel, err := l.Select(context.Background(), "local-up", SelectOptions{}); err != nil || sel.Host != "" {
		t.Errorf("Select without a fleet = %+v, %v; want no host", sel, err)
	}
}

const demoRegistry = `[{"name": "demo", "backend": "vllm", "backend_config": {"model_path": "model"}}]`

// twoHosts makes registries for hosts a and b holding the same files.
func twoHosts(t *testing.T, connect func(string) fleet.Fleet) (a, b *Loader, bdir string) {
	adir, bdir := writeRegistry(t, demoRegistry, ""), writeRegistry(t, demoRegistry, "")
	writeVector3(t, filepath.Join(adir, "model"))
	writeVector3(t, filepath.Join(bdir, "model"))
	return openHost(t, adir, "a", connect("a")), openHost(t, bdir, "b", connect("b")), bdir
}

func TestFleetPinHoldsOnEveryHost(t *testing.T) {
	eachFleet(t, func(t *testing.T, connect func(string) fleet.Fleet, cut func()) {
		ctx := context.Background()
		a, b, bdir := twoHosts(t, connect)
		st, err := a.Lock(ctx, "demo", LockOptions{SetExpected: true})
		if err != nil || st.Fleet == nil || !st.Fleet.Locked || st.Fleet.ExpectedAggregateSHA256 != vector3 || st.Fleet.By != "a" || !st.Fleet.Changed {
			t.Fatalf("Lock(demo) on a = %+v (fleet %+v), %v; want the fleet pinned by a", st, st.Fleet, err)
		}
		if _, err := b.Verify(ctx, "demo", VerifyOptions{}); err != nil {
			t.Fatalf("Verify(demo) on b, same files = %v", err)
		}
		weights := filepath.Join(bdir, "model", "weights.bin")
		if err := os.WriteFile(weights, []byte("drifted"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = b.Verify(ctx, "demo", VerifyOptions{})
		var lv *artifact.LockViolationError
		if !errors.As(err, &lv) || lv.Expected != vector3 || !reflect.DeepEqual(lv.Drift.Changed, []string{"weights.bin"}) {
			t.Fatalf("Verify(demo) on b, unlocked there, drifted = %v; want a violation of a's pin naming weights.bin", err)
		}
		st, err = a.Unlock(ctx, "demo")
		if err != nil || st.Fleet == nil || st.Fleet.Locked || st.Fleet.ExpectedAggregateSHA256 != vector3 {
			t.Fatalf("Unlock(demo) on a = %+v, %v; want the fleet's pin unlocked, its hash kept", st, err)
		}
		if _, err := b.Verify(ctx, "demo", VerifyOptions{}); err != nil {
			t.Fatalf("Verify(demo) on b after the unlock = %v", err)
		}
		cut()
		st, err = a.Lock(ctx, "demo", LockOptions{})
		if !errors.Is(err, fleet.ErrUnavailable) || !st.Locked || !st.Changed {
			t.Fatalf("Lock(demo) with the fleet cut = %+v, %v; want locked here, an error wrapping ErrUnavailable", st, err)
		}
		if v, err := a.Verify(ctx, "demo", VerifyOptions{}); err != nil || !v.Locked {
			t.Fatalf("Verify(demo) on a, fleet cut = %+v, %v; want this host's answer", v, err)
		}
	})
}

func TestFleetPinRace(t *testing.T) {
	eachFleet(t, func(t *testing.T, connect func(string) fleet.Fleet, _ func()) {
		ctx := context.Background()
		adir := writeRegistry(t, demoRegistry, "")
		writeVector3(t, filepath.Join(adir, "model"))
		winner := fleet.Pin{Locked: true, ExpectedAggregate: strings.Repeat("b", 64), By: "b", At: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
		a := openHost(t, adir, "a", racingFleet{Fleet: connect("a"), other: connect("b"), pin: winner})
		st, err := a.Lock(ctx, "demo", LockOptions{Repin: true})
		var pe *FleetPinError
		if !errors.As(err, &pe) || !errors.Is(err, fleet.ErrConflict) || !strings.Contains(err.Error(), "host b changed the fleet's pin at 2026-11-25T12:00:00Z") {
			t.Fatalf("Lock(demo, repin) racing b = %v; want a conflict naming b and when", err)
		}
		if !st.Locked || st.ExpectedAggregateSHA256 != vector3 || st.Fleet == nil || st.Fleet.ExpectedAggregateSHA256 != winner.ExpectedAggregate {
			t.Errorf("Lock(demo, repin) racing b = %+v (fleet %+v); want locked here with its own hash, the fleet keeping b's", st, st.Fleet)
		}
		p, err := connect("c").Pin(ctx, "demo")
		if err != nil || p.ExpectedAggregate != winner.ExpectedAggregate || p.By != "b" {
			t.Errorf("the fleet's pin after the race = %+v, %v; want b's", p, err)
		}
	})
}

// A fleet pin locked without a hash adopts the first verify's aggregate,
// on whichever host it runs; it then binds the others.
func TestFleetPinOnNextVerify(t *testing.T) {
	eachFleet(t, func(t *testing.T, connect func(string) fleet.Fleet, _ func()) {
		ctx := context.Background()
		a, b, bdir := twoHosts(t, connect)
		st, err := a.Lock(ctx, "demo", LockOptions{})
		if err != nil || !st.PinsOnNextVerify || st.Fleet == nil || !st.Fleet.Locked || st.Fleet.ExpectedAggregateSHA256 != "" {
			t.Fatalf("Lock(demo) without a hash on a = %+v (fleet %+v), %v", st, st.Fleet, err)
		}
		v, err := b.Verify(ctx, "demo", VerifyOptions{})
		if err != nil || !v.FleetPinned {
			t.Fatalf("Verify(demo) on b = %+v, %v; want the fleet's pin adopting its aggregate", v, err)
		}
		p, err := connect("c").Pin(ctx, "demo")
		if err != nil || p.ExpectedAggregate != vector3 || p.By != "b" || len(p.ExpectedFiles) != 3 {
			t.Fatalf("the fleet's pin after b's verify = %+v, %v; want %s by b with its 3 files", p, err, vector3)
		}
		if v, err := b.Verify(ctx, "demo", VerifyOptions{}); err != nil || v.FleetPinned {
			t.Errorf("Verify(demo) on b again = %+v, %v; want a pass that pins nothing", v, err)
		}
		if err := os.WriteFile(filepath.Join(bdir, "model", "config.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		var lv *artifact.LockViolationError
		if _, err := b.Verify(ctx, "demo", VerifyOptions{}); !errors.As(err, &lv) || !reflect.DeepEqual(lv.Drift.Changed, []string{"config.json"}) {
			t.Errorf("Verify(demo) on b, drifted = %v; want a violation naming config.json", err)
		}
	})
}
