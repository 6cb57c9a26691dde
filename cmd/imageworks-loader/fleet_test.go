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
