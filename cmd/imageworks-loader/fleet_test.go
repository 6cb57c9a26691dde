package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/imageworks-ai/loader/core/fleet"
)

// downFleet counts the calls that reach it; every one finds etcd
// unreachable.
type downFleet struct {
	fleet.Fleet
	calls *int
}

func (d downFleet) Pin(context.Context, string) (fleet.Pin, error) {
	*d.calls++
	return fleet.Pin{}, fmt.Errorf("pin: %w", fleet.ErrUnavailable)
}

func (d downFleet) Hosts(context.Context) ([]fleet.Host, error) {
	*d.calls++
	return nil, fmt.Errorf("hosts: %w", fleet.ErrUnavailable)
}

func (d downFleet) Close() error { return nil }

// The first call that finds the fleet unreachable warns; the calls after
// it fail at once, without reaching etcd, and do not warn again.
func TestGuardedFleetWaitsOnce(t *testing.T) {
	calls, dials, warnings := 0, 0, 0
	g := &guardedFleet{
		dial: func(context.Context) (fleet.Fleet, error) { dials++; return downFleet{calls: &calls}, nil },
		warn: func(error) { warnings++ },
	}
	ctx := context.Background()
	for range 3 {
		if _, err := g.Pin(ctx, "m"); !errors.Is(err, fleet.ErrUnavailable) {
			t.Fatalf("Pin = %v, want ErrUnavailable", err)
		}
		if _, err := g.Hosts(ctx); !errors.Is(err, fleet.ErrUnavailable) {
			t.Fatalf("Hosts = %v, want ErrUnavailable", err)
		}
	}
	if calls != 1 || dials != 1 || warnings != 1 {
		t.Errorf("6 calls on an unreachable fleet: %d reached it, %d dials, %d warnings; want 1, 1, 1", calls, dials, warnings)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if _, err := g.Pin(ctx, "m"); !errors.Is(err, fleet.ErrUnavailable) || calls != 1 {
		t.Errorf("Pin after Close = %v (%d calls), want ErrUnavailable without a call", err, calls)
	}
}

// A dial that fails is warned about once, with its own error.
func TestGuardedFleetDialFails(t *testing.T) {
	var warned []error
	g := &guardedFleet{
		dial: func(context.Context) (fleet.Fleet, error) { return nil, errors.New("bad host id") },
		warn: func(err error) { warned = append(warned, err) },
	}
	for range 2 {
		if _, err := g.Hosts(context.Background()); !errors.Is(err, fleet.ErrUnavailable) {
			t.Fatalf("Hosts = %v, want ErrUnavailable", err)
		}
	}
	if len(warned) != 1 || warned[0].Error() != "bad host id" {
		t.Errorf("warnings = %v, want the dial's error once", warned)
	}
}

// upDownFleet answers or finds etcd unreachable as *down says.
type upDownFleet struct {
	fleet.Fleet
	down *bool
}

func (u upDownFleet) Hosts(context.Context) ([]fleet.Host, error) {
	if *u.down {
		return nil, fmt.Errorf("hosts: %w", fleet.ErrUnavailable)
	}
	return nil, nil
}

// A long-running process (serve, gateway) tries the fleet again after
// fleetRetryAfter: it warns when the fleet goes down, not again at each
// retry that finds it still down, and again after it came back and went
// down anew.
func TestGuardedFleetWarnsOncePerOutage(t *testing.T) {
	down, warnings := true, 0
	g := &guardedFleet{
		dial: func(context.Context) (fleet.Fleet, error) { return upDownFleet{down: &down}, nil },
		warn: func(error) { warnings++ },
	}
	ctx := context.Background()
	retry := func() { g.mu.Lock(); g.downAt = g.downAt.Add(-fleetRetryAfter); g.mu.Unlock() }
	for range 3 {
		if _, err := g.Hosts(ctx); !errors.Is(err, fleet.ErrUnavailable) {
			t.Fatalf("Hosts = %v, want ErrUnavailable", err)
		}
		retry()
	}
	if warnings != 1 {
		t.Fatalf("3 retries of a fleet that stays down: %d warnings, want 1", warnings)
	}
	down = false
	if _, err := g.Hosts(ctx); err != nil {
		t.Fatalf("Hosts with the fleet back = %v", err)
	}
	down = true
	if _, err := g.Hosts(ctx); !errors.Is(err, fleet.ErrUnavailable) {
		t.Fatalf("Hosts = %v, want ErrUnavailable", err)
	}
	if warnings != 2 {
		t.Errorf("the fleet down, back, down again: %d warnings, want 2", warnings)
	}
}
