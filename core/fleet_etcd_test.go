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
// host; cut stops etcd as a crash would.
func etcdFleets(t *testing.T) (func(string) fleet.Fleet, func()) {
	c := fleettest.Start(t)
	connect := func(id string) fleet.Fleet {
		f, err := etcdfleet.Dial(context.Background(), etcdfleet.Config{
			Endpoints: c.Endpoints(), HostID: id, OpTimeout: 300 * time.Millisecond,
		})
		if err != nil {
			t.Fatalf("etcdfleet.Dial as %s: %v", id, err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	return connect, c.StopAll
}
