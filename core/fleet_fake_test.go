package core

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/imageworks-ai/loader/core/fleet"
)

// memStore is an in-memory fleet shared by the memFleets of several
// hosts, for core's unit tests; the same tests run against real etcd
// (fleettest) through newFleets.
type memStore struct {
	mu     sync.Mutex
	rev    int64
	pins   map[string]fleet.Pin
	hosts  map[string]fleet.Host
	claims []fleet.SlotClaim
	down   bool // every call fails with fleet.ErrUnavailable
}

// memFleet is one host's connection to a memStore.
type memFleet struct {
	s  *memStore
	id string
}

func (f memFleet) err() error {
	if f.s.down {
		return fleet.ErrUnavailable
	}
	return nil
}

func (f memFleet) Pin(_ context.Context, name string) (fleet.Pin, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if err := f.err(); err != nil {
		return fleet.Pin{}, err
	}
	p, ok := f.s.pins[name]
	if !ok {
		return fleet.Pin{Name: name}, nil
	}
	return p, nil
}

func (f memFleet) Pins(context.Context) ([]fleet.Pin, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	var out []fleet.Pin
	for _, p := range f.s.pins {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b fleet.Pin) int { return strings.Compare(a.Name, b.Name) })
	return out, f.err()
}

func (f memFleet) PutPin(_ context.Context, p fleet.Pin) (fleet.Pin, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if err := f.err(); err != nil {
		return fleet.Pin{}, err
	}
	cur, ok := f.s.pins[p.Name]
	if cur.Revision != p.Revision {
		var c *fleet.Pin
		if ok {
			c = &cur
		}
		return fleet.Pin{}, &fleet.ConflictError{Key: "pins/" + p.Name, Current: c}
	}
	if f.s.pins == nil {
		f.s.pins = map[string]fleet.Pin{}
	}
	f.s.rev++
	p.Revision = f.s.rev
	f.s.pins[p.Name] = p
	return p, nil
}

func (f memFleet) Publish(_ context.Context, h fleet.Host) error {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if f.s.hosts == nil {
		f.s.hosts = map[string]fleet.Host{}
	}
	h.ID = f.id
	f.s.hosts[f.id] = h
	return f.err()
}

func (f memFleet) Hosts(context.Context) ([]fleet.Host, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	var out []fleet.Host
	for _, h := range f.s.hosts {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b fleet.Host) int { return strings.Compare(a.ID, b.ID) })
	return out, f.err()
}

func (f memFleet) Claim(_ context.Context, c fleet.SlotClaim) (func(context.Context) error, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	f.s.claims = append(f.s.claims, c)
	return func(context.Context) error { return nil }, f.err()
}

func (f memFleet) Claims(context.Context) ([]fleet.SlotClaim, error) {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return slices.Clone(f.s.claims), f.err()
}

func (f memFleet) Close() error { return nil }

// fleets makes a fleet per host id, all sharing one state.
type fleets func(t *testing.T) (connect func(hostID string) fleet.Fleet, cut func())

// memFleets is fleets in memory.
func memFleets(*testing.T) (func(string) fleet.Fleet, func()) {
	s := &memStore{}
	return func(id string) fleet.Fleet { return memFleet{s: s, id: id} },
		func() { s.mu.Lock(); s.down = true; s.mu.Unlock() }
}

// racingFleet is a fleet whose every Pin read is followed by another
// host's write of the pin, as when two hosts lock at once.
type racingFleet struct {
	fleet.Fleet
	other fleet.Fleet
	pin   fleet.Pin
}

func (r racingFleet) Pin(ctx context.Context, name string) (fleet.Pin, error) {
	p, err := r.Fleet.Pin(ctx, name)
	if err != nil {
		return p, err
	}
	cur, err := r.other.Pin(ctx, name)
	if err != nil {
		return p, err
	}
	w := r.pin
	w.Name, w.Revision = name, cur.Revision
	if _, err := r.other.PutPin(ctx, w); err != nil {
		return p, err
	}
	return p, nil
}
