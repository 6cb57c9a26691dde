package main

import (
	"context"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/etcdfleet"
)

// testDialFleet is the test binary's fleet client, as
// imageworks-loader-fleet's (fleet_builtin_etcd.go, behind the "fleet"
// build tag the tests are not built with).
func testDialFleet(ctx context.Context, c FleetConfig) (fleet.Fleet, error) {
	return etcdfleet.Dial(ctx, etcdfleet.Config{
		Endpoints: c.Endpoints, HostID: c.HostID, TTL: c.TTL,
		OpTimeout: c.OpTimeout, Prefix: c.Prefix, Logger: c.Logger,
	})
}
