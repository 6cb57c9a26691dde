package etcdfleet

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/fleettest"
)

// dial returns a Fleet on endpoints as host id, closed when the test ends.
func dial(t *testing.T, endpoints []string, id string, ttl time.Duration) *Fleet {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Name: id, Output: testWriter{t}, Level: hclog.Warn})
	f, err := Dial(context.Background(), Config{Endpoints: endpoints, HostID: id, TTL: ttl, OpTimeout: time.Second, Logger: log})
	if err != nil {
		t.Fatalf("Dial(%v) = %v", endpoints, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// testWriter logs to the test.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// abandon stops f as a process that dies does: no keepalive, no revoke.
func (f *Fleet) abandon() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	f.stopBg()
	_ = f.cli.Close()
}

// eventually polls cond every 20 ms until it holds or within passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func host(id string, models ...string) fleet.Host {
	h := fleet.Host{ID: id, Advertise: id + ".test", Updated: time.Now().UTC(),
		Endpoints: []fleet.Endpoint{{URL: "http://" + id + ".test:8000", Backend: "vllm", Up: true, Checked: time.Now().UTC()}}}
	for _, m := range models {
		h.Models = append(h.Models, fleet.Model{Name: m, Backend: "vllm", Endpoint: "http://" + id + ".test:8000", InternalModelID: m, Up: true, Served: true})
	}
	return h
}

func hostIDs(hosts []fleet.Host) string {
	var ids []string
	for _, h := range hosts {
		ids = append(ids, h.ID)
	}
	return strings.Join(ids, ",")
}

func hostsOf(t *testing.T, f *Fleet) string {
	t.Helper()
	hosts, err := f.Hosts(context.Background())
	if err != nil {
		t.Fatalf("Hosts() = %v", err)
	}
	return hostIDs(hosts)
}

func TestPinCompareAndSwap(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	b := dial(t, c.Endpoints(), "b", 2*time.Second)
	ctx := context.Background()

	p, err := a.Pin(ctx, "llava")
	if err != nil || p.Revision != 0 || p.Name != "llava" {
		t.Fatalf("Pin(llava) on an empty fleet = %+v, %v; want revision 0", p, err)
	}
	// Two writers create the pin from revision 0: one wins.
	first, err := a.PutPin(ctx, fleet.Pin{Name: "llava", Locked: true, By: "a", At: time.Now()})
	if err != nil || first.Revision == 0 {
		t.Fatalf("PutPin(a, rev 0) = %+v, %v", first, err)
	}
	_, err = b.PutPin(ctx, fleet.Pin{Name: "llava", Locked: false, By: "b", At: time.Now()})
	var conflict *fleet.ConflictError
	if !errors.As(err, &conflict) || !errors.Is(err, fleet.ErrConflict) {
		t.Fatalf("PutPin(b, rev 0) = %v, want a *ConflictError", err)
	}
	if cur, ok := conflict.Current.(*fleet.Pin); !ok || cur.By != "a" || cur.Revision != first.Revision {
		t.Fatalf("conflict.Current = %#v, want a's pin at revision %d", conflict.Current, first.Revision)
	}
	if !strings.Contains(err.Error(), "changed by host a") {
		t.Fatalf("conflict error %q does not name host a", err)
	}

	// Both read revision r; both write from it: one wins, nothing lost.
	r := first.Revision
	won, errA := a.PutPin(ctx, fleet.Pin{Name: "llava", Locked: true, ExpectedAggregate: "aa", By: "a", Revision: r})
	_, errB := b.PutPin(ctx, fleet.Pin{Name: "llava", Locked: true, ExpectedAggregate: "bb", By: "b", Revision: r})
	if errA != nil || !errors.As(errB, &conflict) {
		t.Fatalf("PutPin from revision %d: a = %v, b = %v; want a wins, b conflicts", r, errA, errB)
	}
	if cur := conflict.Current.(*fleet.Pin); cur.ExpectedAggregate != "aa" || cur.Revision != won.Revision {
		t.Fatalf("b's conflict holds %+v, want a's write", cur)
	}
	// b retries from what it was told.
	if _, err := b.PutPin(ctx, fleet.Pin{Name: "llava", Locked: true, ExpectedAggregate: "bb", By: "b", Revision: won.Revision}); err != nil {
		t.Fatalf("PutPin(b) from the current revision = %v", err)
	}
	if _, err := a.PutPin(ctx, fleet.Pin{Name: "bakllava", By: "a"}); err != nil {
		t.Fatal(err)
	}
	pins, err := a.Pins(ctx)
	if err != nil || len(pins) != 2 || pins[0].Name != "bakllava" || pins[1].Name != "llava" || pins[1].ExpectedAggregate != "bb" || pins[1].By != "b" {
		t.Fatalf("Pins() = %+v, %v; want bakllava, then llava as b wrote it", pins, err)
	}
}

func TestPublishHosts(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	b := dial(t, c.Endpoints(), "b", 2*time.Second)
	ctx := context.Background()
	if err := b.Publish(ctx, host("b", "m1")); err != nil {
		t.Fatalf("Publish(b) = %v", err)
	}
	if err := a.Publish(ctx, host("a", "m1", "m2")); err != nil {
		t.Fatalf("Publish(a) = %v", err)
	}
	reader := dial(t, c.Endpoints(), "reader", 2*time.Second)
	hosts, err := reader.Hosts(ctx)
	if err != nil || hostIDs(hosts) != "a,b" || len(hosts[0].Models) != 2 || hosts[0].Models[1].Name != "m2" {
		t.Fatalf("Hosts() = %+v, %v; want a (m1, m2), b", hosts, err)
	}
	// a's watched cache follows b's changes.
	if err := b.Publish(ctx, host("b", "m1", "m3")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a's cache shows b's m3", func() bool {
		hosts, err := a.Hosts(ctx)
		return err == nil && len(hosts) == 2 && len(hosts[1].Models) == 2
	})
	// Close withdraws at once.
	if err := b.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got := hostsOf(t, reader); got != "a" {
		t.Fatalf("Hosts() after b's Close = %s, want a", got)
	}
	eventually(t, 5*time.Second, "a's cache drops b", func() bool { return hostsOf(t, a) == "a" })
}

func TestPublishWritesOnlyChanges(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	ctx := context.Background()
	modRev := func() int64 {
		t.Helper()
		resp, err := a.cli.Get(ctx, a.key("hosts", "a"))
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("Get(hosts/a) = %v, %v", resp, err)
		}
		return resp.Kvs[0].ModRevision
	}
	h := host("a", "m1")
	if err := a.Publish(ctx, h); err != nil {
		t.Fatal(err)
	}
	r := modRev()
	h.Updated = h.Updated.Add(time.Minute)
	h.Endpoints[0].Checked = h.Updated
	if err := a.Publish(ctx, h); err != nil {
		t.Fatal(err)
	}
	if got := modRev(); got != r {
		t.Fatalf("a refresh with only new timestamps wrote the host (revision %d, was %d)", got, r)
	}
	h.Models[0].Up = false
	if err := a.Publish(ctx, h); err != nil {
		t.Fatal(err)
	}
	if got := modRev(); got == r {
		t.Fatal("a changed observation was not written")
	}
	// Deleted behind its back, the host is written again on the next refresh.
	if _, err := a.cli.Delete(ctx, a.key("hosts", "a")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the host is published again", func() bool {
		if err := a.Publish(ctx, h); err != nil {
			t.Fatal(err)
		}
		resp, err := a.cli.Get(ctx, a.key("hosts", "a"))
		return err == nil && len(resp.Kvs) == 1
	})
}

func TestDeadHostExpires(t *testing.T) {
	c := fleettest.Start(t)
	const ttl = time.Second
	a := dial(t, c.Endpoints(), "a", ttl)
	b := dial(t, c.Endpoints(), "b", ttl)
	ctx := context.Background()
	for _, f := range []*Fleet{a, b} {
		if err := f.Publish(ctx, host(f.cfg.HostID)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Claim(ctx, fleet.SlotClaim{Port: 8001, Model: "m1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "b sees a", func() bool { return hostsOf(t, b) == "a,b" })
	a.abandon()
	eventually(t, ttl+2*time.Second, "a gone from b's view", func() bool { return hostsOf(t, b) == "b" })
	eventually(t, time.Second, "a's claim gone", func() bool {
		claims, err := b.Claims(ctx)
		return err == nil && len(claims) == 0
	})
}

func TestHostIDPublishedTwice(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	other := dial(t, c.Endpoints(), "a", 2*time.Second)
	ctx := context.Background()
	if err := a.Publish(ctx, host("a", "m1")); err != nil {
		t.Fatal(err)
	}
	err := other.Publish(ctx, host("a", "other"))
	var conflict *fleet.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "host id a already published by another process") {
		t.Fatalf("a second process publishing host a = %v, want a conflict", err)
	}
	hosts, err := other.Hosts(ctx)
	if err != nil || len(hosts) != 1 || hosts[0].Models[0].Name != "m1" {
		t.Fatalf("Hosts() = %+v, %v; want the first process's observation kept", hosts, err)
	}
	if err := a.Publish(ctx, host("x")); err == nil {
		t.Fatal("Publish of host x by host a = nil error, want one")
	}
}

func TestClaims(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	b := dial(t, c.Endpoints(), "b", 2*time.Second)
	ctx := context.Background()
	release, err := a.Claim(ctx, fleet.SlotClaim{Port: 8001, Model: "m1"})
	if err != nil {
		t.Fatalf("Claim(a:8001) = %v", err)
	}
	if _, err := a.Claim(ctx, fleet.SlotClaim{Port: 8001, Model: "m2"}); err != nil {
		t.Fatalf("Claim(a:8001) again by its holder = %v", err)
	}
	_, err = b.Claim(ctx, fleet.SlotClaim{Host: "a", Port: 8001, Model: "m3"})
	var conflict *fleet.ConflictError
	if !errors.As(err, &conflict) || !strings.Contains(err.Error(), "held by host a for m2") {
		t.Fatalf("Claim(a:8001) by b = %v, want a conflict naming a's m2", err)
	}
	if _, err := b.Claim(ctx, fleet.SlotClaim{Port: 8000, Model: "m4"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, fleet.SlotClaim{Port: 7999, Model: "m5"}); err != nil {
		t.Fatal(err)
	}
	claims, err := b.Claims(ctx)
	if err != nil || len(claims) != 3 || claims[0].Port != 7999 || claims[1].Port != 8001 || claims[2].Host != "b" {
		t.Fatalf("Claims() = %+v, %v; want a:7999, a:8001, b:8000", claims, err)
	}
	if err := release(ctx); err != nil {
		t.Fatalf("release() = %v", err)
	}
	if _, err := b.Claim(ctx, fleet.SlotClaim{Host: "a", Port: 8001, Model: "m3"}); err != nil {
		t.Fatalf("Claim(a:8001) by b after a released it = %v", err)
	}
	if _, err := a.Claim(ctx, fleet.SlotClaim{Port: 0}); err == nil {
		t.Fatal("Claim of port 0 = nil error, want one")
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return "http://" + addr
}

func TestUnreachable(t *testing.T) {
	stopped := fleettest.Start(t)
	stopped.StopAll()
	const opTimeout = 500 * time.Millisecond
	for name, eps := range map[string][]string{"closed port": {closedPort(t)}, "stopped cluster": stopped.Endpoints()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			f, err := Dial(context.Background(), Config{Endpoints: eps, HostID: "a", TTL: time.Second, OpTimeout: opTimeout})
			if err != nil {
				t.Fatalf("Dial = %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Dial took %s", d)
			}
			ctx := context.Background()
			calls := map[string]func() error{
				"Pin":     func() error { _, err := f.Pin(ctx, "m"); return err },
				"Pins":    func() error { _, err := f.Pins(ctx); return err },
				"PutPin":  func() error { _, err := f.PutPin(ctx, fleet.Pin{Name: "m"}); return err },
				"Publish": func() error { return f.Publish(ctx, host("a")) },
				"Hosts":   func() error { _, err := f.Hosts(ctx); return err },
				"Claim":   func() error { _, err := f.Claim(ctx, fleet.SlotClaim{Port: 1}); return err },
				"Claims":  func() error { _, err := f.Claims(ctx); return err },
				"Close":   f.Close,
			}
			for _, op := range []string{"Pin", "Pins", "PutPin", "Publish", "Hosts", "Claim", "Claims", "Close"} {
				start := time.Now()
				err := calls[op]()
				d := time.Since(start)
				if op != "Close" && !errors.Is(err, fleet.ErrUnavailable) {
					t.Errorf("%s = %v, want an error wrapping ErrUnavailable", op, err)
				}
				if d > opTimeout+time.Second {
					t.Errorf("%s took %s, want at most OpTimeout %s and some slack", op, d, opTimeout)
				}
			}
		})
	}
}

func TestEtcdStoppedThenBack(t *testing.T) {
	c := fleettest.Start(t)
	const ttl = 2 * time.Second
	a := dial(t, c.Endpoints(), "a", ttl)
	ctx := context.Background()
	if err := a.Publish(ctx, host("a", "m1")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Claim(ctx, fleet.SlotClaim{Port: 8001, Model: "m1"}); err != nil {
		t.Fatal(err)
	}
	pin, err := a.PutPin(ctx, fleet.Pin{Name: "m1", Locked: true, ExpectedAggregate: "aa", By: "a"})
	if err != nil {
		t.Fatal(err)
	}
	c.StopAll()
	if err := a.Publish(ctx, host("a", "m1", "m2")); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("Publish with etcd stopped = %v, want ErrUnavailable", err)
	}
	eventually(t, ttl+3*time.Second, "the lease is given up", func() bool { return a.live.Load() == 0 })
	if _, err := a.Hosts(ctx); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("Hosts with etcd stopped and no lease = %v, want ErrUnavailable", err)
	}
	c.RestartAll()
	eventually(t, 5*time.Second, "Publish resumes", func() bool { return a.Publish(ctx, host("a", "m1", "m2")) == nil })
	reader := dial(t, c.Endpoints(), "reader", ttl)
	hosts, err := reader.Hosts(ctx)
	if err != nil || hostIDs(hosts) != "a" || len(hosts[0].Models) != 2 {
		t.Fatalf("Hosts() after etcd came back = %+v, %v; want a with m1, m2", hosts, err)
	}
	claims, err := reader.Claims(ctx)
	if err != nil || len(claims) != 1 || claims[0].Port != 8001 {
		t.Fatalf("Claims() after etcd came back = %+v, %v; want a:8001 kept", claims, err)
	}
	got, err := reader.Pin(ctx, "m1")
	if err != nil || got.Revision != pin.Revision || got.ExpectedAggregate != "aa" {
		t.Fatalf("Pin(m1) after etcd came back = %+v, %v; want %+v", got, err, pin)
	}
	// The new lease is kept alive, and the old one took nothing with it.
	time.Sleep(ttl + 500*time.Millisecond)
	if got := hostsOf(t, reader); got != "a" {
		t.Fatalf("Hosts() a TTL after the new lease = %s, want a", got)
	}
}

func TestThreeMemberFaults(t *testing.T) {
	c := fleettest.StartN(t, 3)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	b := dial(t, c.Endpoints(), "b", 2*time.Second)
	ctx := context.Background()
	publish := func(f *Fleet, models ...string) {
		t.Helper()
		eventually(t, 5*time.Second, "Publish("+f.cfg.HostID+")", func() bool {
			return f.Publish(ctx, host(f.cfg.HostID, models...)) == nil
		})
	}
	models := func(f *Fleet, id string) int {
		hosts, err := f.Hosts(ctx)
		if err != nil {
			return -1
		}
		for _, h := range hosts {
			if h.ID == id {
				return len(h.Models)
			}
		}
		return -1
	}
	publish(a, "m1")
	publish(b, "m1")

	// A follower killed: writes still succeed.
	lead := c.Leader()
	follower := (lead + 1) % 3
	c.Stop(follower)
	publish(b, "m1", "m2")
	pin, err := a.PutPin(ctx, fleet.Pin{Name: "m1", By: "a"})
	if err != nil {
		t.Fatalf("PutPin with one member down = %v", err)
	}
	eventually(t, 5*time.Second, "a's cache sees b's m2", func() bool { return models(a, "b") == 2 })

	// The member restarts and catches up.
	c.Restart(follower)
	only := dial(t, c.Endpoints()[follower:follower+1], "only", 2*time.Second)
	got, err := only.Pin(ctx, "m1")
	if err != nil || got.Revision != pin.Revision {
		t.Fatalf("Pin(m1) from the restarted member = %+v, %v; want revision %d", got, err, pin.Revision)
	}

	// A leader change: publish and pin keep working, the cache keeps up.
	c.ChangeLeader()
	publish(b, "m1", "m2", "m3")
	eventually(t, 5*time.Second, "a's cache sees b's m3 after a leader change", func() bool { return models(a, "b") == 3 })
	if _, err := a.PutPin(ctx, fleet.Pin{Name: "m1", By: "a", Revision: pin.Revision}); err != nil {
		t.Fatalf("PutPin after a leader change = %v", err)
	}

	// The leader killed: a new one is elected and everything goes on.
	c.Stop(c.Leader())
	publish(b, "m1", "m2", "m3", "m4")
	eventually(t, 5*time.Second, "a's cache sees b's m4 after losing the leader", func() bool { return models(a, "b") == 4 })
}

func TestDialBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{HostID: "a"},
		{Endpoints: []string{"http://127.0.0.1:1"}},
		{Endpoints: []string{"http://127.0.0.1:1"}, HostID: "a/b"},
		{Endpoints: []string{"http://127.0.0.1:1"}, HostID: "a", TTL: time.Millisecond},
	} {
		if f, err := Dial(context.Background(), cfg); err == nil {
			_ = f.Close()
			t.Errorf("Dial(%+v) = nil error, want one", cfg)
		}
	}
}

// A second process of a host id (a gateway beside serve) cannot publish the
// host, but its slot claims are its own: a start there is not refused.
func TestSecondProcessClaims(t *testing.T) {
	c := fleettest.Start(t)
	a := dial(t, c.Endpoints(), "a", 2*time.Second)
	other := dial(t, c.Endpoints(), "a", 2*time.Second)
	ctx := context.Background()
	if err := a.Publish(ctx, host("a", "m1")); err != nil {
		t.Fatal(err)
	}
	var conflict *fleet.ConflictError
	if err := other.Publish(ctx, host("a", "other")); !errors.As(err, &conflict) {
		t.Fatalf("a second process publishing host a = %v, want a conflict", err)
	}
	if _, err := other.Claim(ctx, fleet.SlotClaim{Port: 8001, Model: "m1"}); err != nil {
		t.Fatalf("Claim(a:8001) by the second process = %v, want the slot", err)
	}
	if err := other.Publish(ctx, host("a", "other")); !errors.As(err, &conflict) {
		t.Fatalf("publishing again after a claim = %v, want the conflict still", err)
	}
	hosts, err := other.Hosts(ctx)
	if err != nil || len(hosts) != 1 || hosts[0].Models[0].Name != "m1" {
		t.Fatalf("Hosts() = %+v, %v; want the first process's observation kept", hosts, err)
	}
}

// TestHostCutOff: host a is cut off from etcd (the others are not) while
// b changes the pin a read, and a's lease runs out. Back, a cannot
// overwrite b's newer pin (a conflict naming b), and a's host key comes
// back under a new lease without touching b's.
func TestHostCutOff(t *testing.T) {
	c := fleettest.Start(t)
	link := c.Link(t)
	const ttl = time.Second
	a := dial(t, []string{link.Endpoint()}, "a", ttl)
	b := dial(t, c.Endpoints(), "b", ttl)
	ctx := context.Background()
	if err := a.Publish(ctx, host("a", "m1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, host("b", "m2")); err != nil {
		t.Fatal(err)
	}
	read, err := a.PutPin(ctx, fleet.Pin{Name: "m", Locked: true, ExpectedAggregate: "old", By: "a"})
	if err != nil {
		t.Fatal(err)
	}

	link.Cut()
	if _, err := a.PutPin(ctx, fleet.Pin{Name: "m", Locked: true, ExpectedAggregate: "cut", By: "a", Revision: read.Revision}); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("PutPin while cut off = %v, want ErrUnavailable", err)
	}
	newer, err := b.PutPin(ctx, fleet.Pin{Name: "m", Locked: true, ExpectedAggregate: "new", By: "b", Revision: read.Revision})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, ttl+3*time.Second, "a's host gone for b", func() bool { return hostsOf(t, b) == "b" })

	link.Mend()
	var ce *fleet.ConflictError
	eventually(t, 5*time.Second, "a reaches etcd again", func() bool {
		_, err := a.PutPin(ctx, fleet.Pin{Name: "m", Locked: true, ExpectedAggregate: "stale", By: "a", Revision: read.Revision})
		return errors.As(err, &ce)
	})
	if cur, ok := ce.Current.(*fleet.Pin); !ok || cur.By != "b" || cur.ExpectedAggregate != "new" || !strings.Contains(ce.Error(), "host b") {
		t.Errorf("conflict after the cut = %v (%+v), want b's pin named", ce, ce.Current)
	}
	if got, err := b.Pin(ctx, "m"); err != nil || got.ExpectedAggregate != "new" || got.Revision != newer.Revision {
		t.Errorf("pin after a came back = %+v, %v; want b's, untouched", got, err)
	}
	eventually(t, 5*time.Second, "a publishes again", func() bool { return a.Publish(ctx, host("a", "m1")) == nil })
	if got := hostsOf(t, b); got != "a,b" {
		t.Errorf("hosts after a came back = %s, want a,b", got)
	}
}
