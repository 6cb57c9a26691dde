package main

import (
	"context"
	"sync"
	"time"

	"github.com/imageworks-ai/loader/core"
)

// publishPeriod is how often serve and gateway publish this host: twice
// per lease, so one missed refresh never lets the observations lapse,
// and a server going down is seen by the others within half a lease.
func (a *App) publishPeriod() time.Duration {
	d := a.Globals.FleetTTL / 2
	if d < 500*time.Millisecond {
		d = 500 * time.Millisecond
	}
	return d
}

// publishHost keeps l's observations in the fleet (see
// core.Loader.KeepPublished) until the returned stop is called; without
// --fleet it does nothing. observe says, before each publication, what
// the process adds (its own address, a gateway's slots).
func (a *App) publishHost(ctx context.Context, l *core.Loader, observe func() core.ObserveOptions) (stop func()) {
	if a.fleetOf() == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l.KeepPublished(ctx, a.publishPeriod(), observe)
	}()
	return func() { cancel(); wg.Wait() }
}

// publishedURL is how other hosts reach a listener on addr, for the
// fleet: "" when it listens on loopback only (no other host can reach
// it), else http://ADDR+suffix with a wildcard host replaced by the
// advertised one (see core.Loader.Advertised).
func publishedURL(l *core.Loader, addr, suffix string) string {
	if loopback(addr) {
		return ""
	}
	return l.Advertised("http://" + addr + suffix)
}
