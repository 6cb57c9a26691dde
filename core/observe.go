package core

import (
	"context"
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/sdk"
)

// advertised is the host other hosts reach this host's servers at.
func (l *Loader) advertised() string {
	if l.opts.Advertise != "" {
		return l.opts.Advertise
	}
	return l.HostID()
}

// Advertised returns endpoint as other hosts reach it: a loopback or
// wildcard host (127.0.0.1, localhost, ::1, 0.0.0.0, ::) is replaced by
// the advertised host (Options.Advertise, else the host id); any other
// endpoint is returned as it is. Credentials are never published: they
// are redacted (sdk.RedactURL).
func (l *Loader) Advertised(endpoint string) string {
	return advertise(sdk.RedactURL(endpoint), l.advertised())
}

func advertise(endpoint, host string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return endpoint
	}
	if !isLocalHost(u.Hostname()) {
		return endpoint
	}
	// An IPv6 address is bracketed once, whether given with brackets or not.
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if p := u.Port(); p != "" {
		u.Host = net.JoinHostPort(host, p)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	return u.String()
}

// isLocalHost reports whether h names this machine only.
func isLocalHost(h string) bool {
	switch strings.ToLower(h) {
	case "localhost", "0.0.0.0", "::", "":
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// ObserveOptions refine Observe.
type ObserveOptions struct {
	// Lifecycle locates the active servers (see CurrentServers).
	Lifecycle LifecycleOptions
	// Serve and Gateway are this host's HTTP API and gateway base URLs
	// as others reach them ("" when it runs none).
	Serve, Gateway string
	// Slots are added to the active servers the state file lists (a
	// gateway's own starts).
	Slots []fleet.Slot
}

// Observe is what this host publishes to a fleet: every entry it knows
// that is not deprecated, resolved as Select resolves it, with its
// endpoint's health (is it up, does it serve the entry's model), the last
// verified aggregate and vision probe; every distinct endpoint; the
// servers Activate started. Endpoints are as other hosts reach them (see
// Advertised). It contacts the backends like Health and fails only when
// ctx ends.
func (l *Loader) Observe(ctx context.Context, opts ObserveOptions) (fleet.Host, error) {
	rows, sels, err := l.localHealth(ctx)
	if err != nil {
		return fleet.Host{}, err
	}
	now := l.opts.Now().UTC()
	h := fleet.Host{ID: l.HostID(), Advertise: l.advertised(), Serve: opts.Serve, Gateway: opts.Gateway, Updated: now,
		Endpoints: []fleet.Endpoint{}, Models: []fleet.Model{}}
	up := map[string]bool{}
	served := map[string]bool{}
	for _, r := range rows {
		if r.Endpoint == "" {
			continue
		}
		ep := fleet.Endpoint{URL: advertise(r.Endpoint, h.Advertise), Backend: r.Backend, Up: r.Up, Checked: now}
		for _, n := range r.Served {
			served[n] = true
			if s, ok := sels[n]; ok {
				ep.Served = append(ep.Served, s.InternalModelID)
			}
		}
		slices.Sort(ep.Served)
		ep.Served = slices.Compact(ep.Served)
		for _, n := range append(slices.Clone(r.Served), r.NotServed...) {
			up[n] = r.Up
		}
		h.Endpoints = append(h.Endpoints, ep)
	}
	for _, e := range l.reg.Entries(ctx) {
		sel, ok := sels[e.Name()]
		if !ok {
			continue
		}
		m := fleet.Model{Name: e.Name(), Backend: e.Backend(), Endpoint: l.Advertised(sel.Endpoint),
			InternalModelID: sel.InternalModelID, Capabilities: sel.Capabilities, Roles: e.Roles(),
			Up: up[e.Name()], Served: served[e.Name()], Verified: e.AggregateSHA256()}
		if vl := e.VersionLock(); vl.LastVerified != "" {
			if t, err := time.Parse(time.RFC3339Nano, vl.LastVerified); err == nil {
				m.VerifiedAt = t.UTC()
			}
		}
		if p, ok := e.LastVisionProbe(); ok {
			fp := &fleet.Probe{Passed: p.VisionOK}
			if t, err := time.Parse(time.RFC3339Nano, p.Timestamp); err == nil {
				fp.At = t.UTC()
			}
			m.Probe = fp
		}
		h.Models = append(h.Models, m)
	}
	actives, err := servers(ctx, l.withState(opts.Lifecycle))
	if err != nil && ctx.Err() != nil {
		return fleet.Host{}, ctx.Err()
	}
	for _, a := range actives {
		h.Slots = append(h.Slots, fleet.Slot{Port: a.Port, Model: a.LogicalName, Endpoint: l.Advertised(a.Endpoint), PID: a.PID})
	}
	for _, s := range opts.Slots {
		if !slices.ContainsFunc(h.Slots, func(x fleet.Slot) bool { return x.Port == s.Port }) {
			s.Endpoint = l.Advertised(s.Endpoint)
			h.Slots = append(h.Slots, s)
		}
	}
	slices.SortFunc(h.Slots, func(a, b fleet.Slot) int { return a.Port - b.Port })
	return h, nil
}

// Publish publishes this host's observations (see Observe) to the fleet.
// Without a fleet it does nothing. Errors wrap fleet.ErrUnavailable when
// the fleet could not be reached, *fleet.ConflictError when another
// process publishes this host id.
func (l *Loader) Publish(ctx context.Context, opts ObserveOptions) error {
	if l.opts.Fleet == nil {
		return nil
	}
	h, err := l.Observe(ctx, opts)
	if err != nil {
		return err
	}
	return l.opts.Fleet.Publish(ctx, h)
}

// KeepPublished publishes this host's observations now and then every
// period until ctx ends; opts is asked before each publication (a
// gateway's slots change). A failure is logged as a warning once, until a
// publication succeeds again (logged too): the fleet being unreachable
// never stops the host's own work. Without a fleet it returns at once.
func (l *Loader) KeepPublished(ctx context.Context, every time.Duration, opts func() ObserveOptions) {
	if l.opts.Fleet == nil {
		return
	}
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing := false
	for {
		err := l.Publish(ctx, opts())
		var ce *fleet.ConflictError
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && failing:
		case errors.As(err, &ce):
			// Another process of this host (serve beside gateway)
			// publishes it: this one reads the fleet, and takes over
			// when that one stops.
			l.log.Info("fleet: this host is published by another process; this one reads the fleet only until that one stops", "host", l.HostID())
			failing = true
		case err != nil:
			l.log.Warn("fleet: publishing this host failed; serving locally", "host", l.HostID(), "error", err)
			failing = true
		case failing:
			l.log.Info("fleet: publishing this host", "host", l.HostID())
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ClaimSlot claims this host's port for model in the fleet: a key under
// this process's lease, so a claim vanishes with the process that made
// it, and claiming again (another model in the same slot) replaces it.
// Without a fleet it claims nothing and release does nothing. Errors: a
// *fleet.ConflictError when another process holds the slot (another
// gateway of this host id); one wrapping fleet.ErrUnavailable when the
// fleet cannot be reached (the caller goes on locally).
func (l *Loader) ClaimSlot(ctx context.Context, port int, model string) (release func(context.Context) error, err error) {
	none := func(context.Context) error { return nil }
	if l.opts.Fleet == nil {
		return none, nil
	}
	release, err = l.opts.Fleet.Claim(ctx, fleet.SlotClaim{Host: l.HostID(), Port: port, Model: model, At: l.opts.Now().UTC()})
	if err != nil {
		return none, err
	}
	return release, nil
}
