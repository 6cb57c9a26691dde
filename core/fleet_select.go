package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/registry"
)

// HostID is this host's id in the fleet: Options.HostID, else the host
// name (see FleetHostID).
func (l *Loader) HostID() string { return FleetHostID(l.opts.HostID) }

// FleetHostID is id, else the host name, else "localhost".
func FleetHostID(id string) string {
	if id != "" {
		return id
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// candidate is one host's answer for a name in a fleet-wide select.
type candidate struct {
	sel    Selection
	local  bool
	live   bool // up and serving, as checked here or as its host published
	pinned bool // its verified aggregate is the fleet's pin (or no pin binds)
	// verified is the aggregate its host last verified, "" for none.
	verified string
	// probeFailed: its host's last vision probe of it failed.
	probeFailed bool
}

// otherHosts reads every live host but this one.
func (l *Loader) otherHosts(ctx context.Context) ([]fleet.Host, error) {
	hosts, err := l.opts.Fleet.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(hosts, func(h fleet.Host) bool { return h.ID == l.HostID() }), nil
}

// pinBinds reports whether the pin holds every host to an aggregate.
func pinBinds(p fleet.Pin) bool { return p.Locked && p.ExpectedAggregate != "" }

// selectAcross is Select with a fleet: the candidates are this host's
// entry called name and every other live host's entry of that logical
// name. See rankCandidates for the order. The fleet unreachable, the
// answer is this host's, with a note saying so.
func (l *Loader) selectAcross(ctx context.Context, name string, opts SelectOptions) (Selection, error) {
	e, lerr := l.reg.Get(ctx, name)
	switch {
	case lerr == nil:
		name = e.Name()
	case !errors.Is(lerr, registry.ErrNotFound):
		return Selection{}, lerr
	}
	if err := checkRequirements(opts.Require, func() []*registry.Entry { return l.reg.Entries(ctx) }); err != nil {
		return Selection{}, err
	}
	hosts, ferr := l.otherHosts(ctx)
	if ferr != nil {
		return l.localOnly(ctx, name, opts, ferr)
	}
	remote := remoteCandidates(hosts, name, opts.Require)
	if len(remote) == 0 {
		// No other host has it: no pin can change the answer.
		return l.localOnly(ctx, name, opts, nil)
	}
	pin, ferr := l.opts.Fleet.Pin(ctx, name)
	if ferr != nil {
		return l.localOnly(ctx, name, opts, ferr)
	}
	var cands []candidate
	var localErr error
	if lerr == nil {
		// The local server's state decides its rank: checked live here.
		sel, err := l.selectLocal(ctx, name, SelectOptions{Require: opts.Require, Live: true})
		if err == nil {
			c := candidate{sel: sel, local: true, live: sel.LiveProblem() == nil, pinned: true}
			c.sel.Host = l.HostID()
			if !opts.Live {
				c.sel.Live = nil
			}
			c.verified = e.Artifacts().AggregateSHA256
			c.pinned = pinOK(pin, c.verified)
			if p, ok := e.LastVisionProbe(); ok && !p.VisionOK {
				c.probeFailed = true
			}
			cands = append(cands, c)
		} else {
			localErr = err
		}
	}
	for _, c := range remote {
		c.pinned = pinOK(pin, c.verified)
		if opts.Live {
			c.sel.Live = &LiveCheck{Up: c.live, Served: c.live, Notes: []string{"as host " + c.sel.Host + " last observed it"}}
		}
		cands = append(cands, c)
	}
	if vision(opts.Require) {
		cands = slices.DeleteFunc(cands, func(c candidate) bool { return c.probeFailed })
	}
	if len(cands) == 0 {
		if localErr != nil {
			return Selection{}, localErr
		}
		return Selection{}, fmt.Errorf("%s: every host's last vision probe failed: %w", name, ErrCapability)
	}
	rankCandidates(cands)
	best := cands[0]
	sel := best.sel
	sel.Notes = append(slices.Clone(sel.Notes), fleetNote(best, len(cands)))
	if !best.pinned {
		sel.Notes = append(sel.Notes, fmt.Sprintf("no host's copy is verified to match the fleet's pin %s (host %s verified %s)", pin.ExpectedAggregate, best.sel.Host, orNone(best.verified)))
	}
	return sel, nil
}

// vision reports whether req asks for vision.
func vision(req []string) bool { return slices.Contains(canonicalRequirements(req), "vision") }

// pinOK says whether a copy whose verified aggregate is verified meets the
// pin.
func pinOK(pin fleet.Pin, verified string) bool {
	return !pinBinds(pin) || verified == pin.ExpectedAggregate
}

// localOnly is the local answer, naming this host; ferr, the fleet's
// error when it could not be read, is a note (the caller warns).
func (l *Loader) localOnly(ctx context.Context, name string, opts SelectOptions, ferr error) (Selection, error) {
	if ferr != nil && !errors.Is(ferr, fleet.ErrUnavailable) {
		return Selection{}, ferr
	}
	sel, err := l.selectLocal(ctx, name, opts)
	if err != nil {
		return sel, err
	}
	sel.Host = l.HostID()
	if ferr != nil {
		sel.Notes = append(sel.Notes, "fleet unreachable: answered by this host alone")
	}
	return sel, nil
}

// remoteCandidates are the hosts' entries called name holding every
// requirement, as candidates.
func remoteCandidates(hosts []fleet.Host, name string, require []string) []candidate {
	req := canonicalRequirements(require)
	var out []candidate
	for _, h := range hosts {
		for _, m := range h.Models {
			if m.Name != name {
				continue
			}
			caps := normalCaps(m.Capabilities)
			if len(missingCapabilities(caps, req)) > 0 {
				continue
			}
			out = append(out, candidate{
				live: m.Up && m.Served, verified: m.Verified, probeFailed: m.Probe != nil && !m.Probe.Passed,
				sel: Selection{
					LogicalName: m.Name, Endpoint: m.Endpoint, Backend: m.Backend,
					InternalModelID: m.InternalModelID, Capabilities: caps, Host: h.ID,
				},
			})
		}
	}
	return out
}

// normalCaps is a published capability map with every canonical key.
func normalCaps(in map[string]bool) map[string]bool {
	out := make(map[string]bool)
	for _, k := range registry.CanonicalCapabilities() {
		out[k] = false
	}
	for k, v := range in {
		if c := registry.CanonicalCapability(k); c != "" && v {
			out[c] = true
		}
	}
	return out
}

// rankCandidates orders candidates best first: up and serving first, then
// those whose copy meets the fleet's pin, then this host's, then by host
// id.
func rankCandidates(cands []candidate) {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if c := cmpTrueFirst(a.live, b.live); c != 0 {
			return c
		}
		if c := cmpTrueFirst(a.pinned, b.pinned); c != 0 {
			return c
		}
		if c := cmpTrueFirst(a.local, b.local); c != 0 {
			return c
		}
		return cmp.Compare(a.sel.Host, b.sel.Host)
	})
}

func cmpTrueFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// fleetNote says which host answers and why.
func fleetNote(c candidate, n int) string {
	state := "up and serving"
	if !c.live {
		state = "not up and serving"
	}
	where := "this host"
	if !c.local {
		where = "host " + c.sel.Host
	}
	return fmt.Sprintf("fleet: %s (%s), the best of %d candidate(s)", where, state, n)
}

// selectRoleAcross is SelectRole with a fleet: local is this host's
// choice for role (or its error). The chosen name is selected across the
// fleet; when this host has none, the other hosts' entries with the role
// and the requirements are the candidates, the first name in order.
func (l *Loader) selectRoleAcross(ctx context.Context, role string, local *registry.Entry, lerr error, opts SelectOptions) (Selection, error) {
	if local != nil {
		return l.selectAcross(ctx, local.Name(), opts)
	}
	hosts, ferr := l.otherHosts(ctx)
	if ferr != nil {
		if errors.Is(ferr, fleet.ErrUnavailable) {
			return Selection{}, lerr
		}
		return Selection{}, ferr
	}
	req := RoleRequirements(role, opts.Require)
	var names []string
	for _, h := range hosts {
		for _, m := range h.Models {
			if slices.ContainsFunc(m.Roles, func(r string) bool { return normalRole(r) == normalRole(role) }) &&
				len(missingCapabilities(normalCaps(m.Capabilities), req)) == 0 {
				names = append(names, m.Name)
			}
		}
	}
	if len(names) == 0 {
		return Selection{}, lerr
	}
	slices.Sort(names)
	opts.Require = req
	return l.selectAcross(ctx, names[0], opts)
}

// FleetModel is a model another fleet host serves.
type FleetModel struct {
	// Host is the host id of the first host (by id) that serves it.
	Host string
	// Name, Backend and Capabilities (every canonical key) are as that
	// host published them.
	Name         string
	Backend      string
	Capabilities map[string]bool
}

// FleetModels returns, one per logical name and sorted by name, the models
// the fleet's other live hosts serve (up and serving, as they last
// published) that no entry of this host's registry names: what a gateway
// here can forward to them. Nil without a fleet; an error wrapping
// fleet.ErrUnavailable when it cannot be reached.
func (l *Loader) FleetModels(ctx context.Context) ([]FleetModel, error) {
	if l.opts.Fleet == nil {
		return nil, nil
	}
	hosts, err := l.otherHosts(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, e := range l.reg.Entries(ctx) {
		seen[e.Name()] = true
	}
	var out []FleetModel
	for _, h := range hosts { // sorted by id
		for _, m := range h.Models {
			if seen[m.Name] || !m.Up || !m.Served {
				continue
			}
			seen[m.Name] = true
			out = append(out, FleetModel{Host: h.ID, Name: m.Name, Backend: m.Backend, Capabilities: normalCaps(m.Capabilities)})
		}
	}
	slices.SortFunc(out, func(a, b FleetModel) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}
