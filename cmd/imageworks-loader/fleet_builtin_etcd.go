//go:build fleet

package main

import (
	"context"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/etcdfleet"
)

// builtinFleetDialer is etcd's client: this is imageworks-loader-fleet.
func builtinFleetDialer() FleetDialer { return dialEtcd }

// dialEtcd dials the fleet's etcd (see etcdfleet.Dial).
func dialEtcd(ctx context.Context, c FleetConfig) (fleet.Fleet, error) {
	return etcdfleet.Dial(ctx, etcdfleet.Config{
		Endpoints: c.Endpoints, HostID: c.HostID, TTL: c.TTL,
		OpTimeout: c.OpTimeout, Prefix: c.Prefix, Logger: c.Logger,
	})
}
