package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/sdk"
)

// fleetOpTimeout bounds each call to etcd. The first one that cannot reach
// it makes every later call of the process answer at once (see
// guardedFleet), so a command with the fleet unreachable answers locally
// within about this long.
const fleetOpTimeout = 1500 * time.Millisecond

// fleetRetryAfter is how long a fleet found unreachable is taken as down
// before a call tries it again: longer than any one-shot command, short
// for serve and gateway.
const fleetRetryAfter = 10 * time.Second

// fleetCloseTimeout bounds Close (which revokes the lease) at the end of a
// command.
const fleetCloseTimeout = time.Second

// dialFleet connects to the fleet --fleet names, as --host-id, through
// Env.DialFleet. It does not wait for etcd: the first call does.
func (a *App) dialFleet(ctx context.Context) (fleet.Fleet, error) {
	if a.Env.DialFleet == nil {
		return nil, errNoFleetClient
	}
	return a.Env.DialFleet(ctx, FleetConfig{
		Endpoints: a.fleetEndpoints(),
		HostID:    a.hostID(),
		TTL:       a.Globals.FleetTTL,
		OpTimeout: fleetOpTimeout,
		Prefix:    a.Globals.FleetPrefix,
		Logger:    a.Log,
	})
}

// fleetEndpoints is --fleet without empty items (IMAGEWORKS_FLEET= set
// empty means no fleet).
func (a *App) fleetEndpoints() []string {
	var out []string
	for _, u := range a.Globals.Fleet {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// hostID is --host-id, else the host name.
func (a *App) hostID() string { return core.FleetHostID(a.Globals.HostID) }

// fleetOf is the fleet a one-shot command uses: nil without --fleet, else
// one that dials on first use and, the fleet unreachable, warns once (see
// guardedFleet).
func (a *App) fleetOf() fleet.Fleet {
	if len(a.fleetEndpoints()) == 0 {
		return nil
	}
	if a.fleet == nil {
		a.fleet = &guardedFleet{dial: a.dialFleet, warn: a.fleetUnreachable}
	}
	return a.fleet
}

// fleetUnreachable is the one warning a command gives when the fleet
// cannot be reached: it answers locally (a lock is made here only).
func (a *App) fleetUnreachable(err error) {
	what := a.fleetLocally
	if what == "" {
		what = "answering locally"
	}
	eps := a.fleetEndpoints()
	urls := make([]string, len(eps))
	for i, u := range eps {
		urls[i] = sdk.RedactURL(u)
	}
	msg := "fleet unreachable (" + strings.Join(urls, ",") + "): " + what
	if !errors.Is(err, fleet.ErrUnavailable) {
		msg = "fleet unusable (" + strings.Join(urls, ",") + "): " + oneLine(err) + ": " + what
	}
	a.warnf("warning: %s", msg)
}

// guardedFleet is the fleet of a command: it dials on first use, and the
// first call that finds the fleet unreachable (or the dial failing) warns
// and makes every call for the next fleetRetryAfter fail at once with the
// same error, so a command never waits on an unreachable etcd more than
// once (a long-running one tries again after that).
type guardedFleet struct {
	dial func(context.Context) (fleet.Fleet, error)
	warn func(error)

	mu     sync.Mutex
	f      fleet.Fleet
	down   error
	downAt time.Time
	// warned: the fleet was warned about and has not answered since, so
	// a long-running process trying again every fleetRetryAfter does not
	// repeat the warning.
	warned bool
	closed bool
}

// errFleetClosed is what calls after Close return.
var errFleetClosed = fmt.Errorf("fleet connection closed: %w", fleet.ErrUnavailable)

// get is the dialled fleet, or the error that put it down.
func (g *guardedFleet) get(ctx context.Context) (fleet.Fleet, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.closed:
		return nil, errFleetClosed
	case g.down != nil && time.Since(g.downAt) < fleetRetryAfter:
		return nil, g.down
	}
	g.down = nil
	if g.f == nil {
		f, err := g.dial(ctx)
		if err != nil {
			g.setDown(fmt.Errorf("%w: %w", fleet.ErrUnavailable, err), err)
			return nil, g.down
		}
		g.f = f
	}
	return g.f, nil
}

// setDown records err as the fleet's state and warns of cause; g.mu is
// held.
func (g *guardedFleet) setDown(err, cause error) {
	g.down, g.downAt = err, time.Now()
	if !g.warned {
		g.warned = true
		g.warn(cause)
	}
}

// check puts the fleet down when err says it is unreachable; any other
// answer means it was reached.
func (g *guardedFleet) check(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err == nil || !errors.Is(err, fleet.ErrUnavailable) {
		g.warned = false
		return err
	}
	if g.down == nil && !g.closed {
		g.setDown(err, err)
	}
	return err
}

// Pin reads a pin (see fleet.Fleet).
func (g *guardedFleet) Pin(ctx context.Context, name string) (fleet.Pin, error) {
	f, err := g.get(ctx)
	if err != nil {
		return fleet.Pin{}, err
	}
	p, err := f.Pin(ctx, name)
	return p, g.check(err)
}

// Pins reads every pin.
func (g *guardedFleet) Pins(ctx context.Context) ([]fleet.Pin, error) {
	f, err := g.get(ctx)
	if err != nil {
		return nil, err
	}
	p, err := f.Pins(ctx)
	return p, g.check(err)
}

// PutPin writes a pin by compare-and-swap.
func (g *guardedFleet) PutPin(ctx context.Context, p fleet.Pin) (fleet.Pin, error) {
	f, err := g.get(ctx)
	if err != nil {
		return fleet.Pin{}, err
	}
	p, err = f.PutPin(ctx, p)
	return p, g.check(err)
}

// Publish publishes this host's observations.
func (g *guardedFleet) Publish(ctx context.Context, h fleet.Host) error {
	f, err := g.get(ctx)
	if err != nil {
		return err
	}
	return g.check(f.Publish(ctx, h))
}

// Hosts reads every live host.
func (g *guardedFleet) Hosts(ctx context.Context) ([]fleet.Host, error) {
	f, err := g.get(ctx)
	if err != nil {
		return nil, err
	}
	h, err := f.Hosts(ctx)
	return h, g.check(err)
}

// Claim claims a slot.
func (g *guardedFleet) Claim(ctx context.Context, c fleet.SlotClaim) (func(context.Context) error, error) {
	f, err := g.get(ctx)
	if err != nil {
		return nil, err
	}
	release, err := f.Claim(ctx, c)
	return release, g.check(err)
}

// Claims reads every slot claim.
func (g *guardedFleet) Claims(ctx context.Context) ([]fleet.SlotClaim, error) {
	f, err := g.get(ctx)
	if err != nil {
		return nil, err
	}
	c, err := f.Claims(ctx)
	return c, g.check(err)
}

// Close closes the connection, if one was made, waiting at most
// fleetCloseTimeout (etcd unreachable, the lease ends by itself).
func (g *guardedFleet) Close() error {
	g.mu.Lock()
	f := g.f
	g.f, g.closed = nil, true
	g.mu.Unlock()
	if f == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- f.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(fleetCloseTimeout):
		return nil
	}
}
