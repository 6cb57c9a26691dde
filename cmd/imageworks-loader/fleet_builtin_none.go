//go:build !fleet

package main

// builtinFleetDialer is nil: this binary runs imageworks-loader-fleet when
// a fleet is asked for.
func builtinFleetDialer() FleetDialer { return nil }
