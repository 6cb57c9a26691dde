package core

import (
	"context"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/etcdfleet"
	"github.com/imageworks-ai/loader/core/fleet/fleettest"
)

// etcdFleets is fleets on an embedded etcd (fleettest), one connection per
// host; cut stops etcd. It closes the connections of every host but the
// first (the one under test) before: etcd's graceful stop waits seconds
// for their lease streams.
func etcdFleets(t *testing.T) (func(string) fleet.Fleet, func()) {
	c := fleettest.Start(t)
	var conns []fleet.Fleet
	connect := func(id string) fleet.Fleet {
		f, err := etcdfleet.Dial(context.Background(), etcdfleet.Config{
			Endpoints: c.Endpoints(), HostID: id, OpTimeout: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatalf("etcdfleet.Dial as %s: %v", id, err)
		}
		t.Cleanup(func() { _ = f.Close() })
		conns = append(conns, f)
		return f
	}
	cut := func() {
		for _, f := range conns[min(1, len(conns)):] {
			_ = f.Close()
		}
		c.StopAll()
	}
	return connect, cut
}
