package core

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
)

// fleetHealth is every other live host's endpoints as it published them,
// by host, then backend and endpoint; nothing when the fleet cannot be
// read (the caller's fleet says so).
func (l *Loader) fleetHealth(ctx context.Context) []EndpointHealth {
	hosts, err := l.opts.Fleet.Hosts(ctx)
	if err != nil {
		return nil
	}
	var out []EndpointHealth
	for _, h := range hosts {
		if h.ID == l.HostID() {
			continue
		}
		out = append(out, hostHealth(h)...)
	}
	return out
}

// hostHealth is one host's published endpoints as health rows: the
// entries it knows at each endpoint are served or not as it observed.
func hostHealth(h fleet.Host) []EndpointHealth {
	rows := make([]EndpointHealth, 0, len(h.Endpoints))
	for _, ep := range h.Endpoints {
		r := EndpointHealth{Host: h.ID, Backend: ep.Backend, Endpoint: ep.URL, Up: ep.Up, Served: []string{}, NotServed: []string{}}
		for _, m := range h.Models {
			switch {
			case m.Endpoint != ep.URL:
			case m.Served:
				r.Served = append(r.Served, m.Name)
			default:
				r.NotServed = append(r.NotServed, m.Name)
			}
		}
		sort.Strings(r.Served)
		sort.Strings(r.NotServed)
		r.Notes = []string{fmt.Sprintf("as host %s observed at %s", h.ID, observed(ep.Checked, h.Updated))}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Backend != rows[j].Backend {
			return rows[i].Backend < rows[j].Backend
		}
		return rows[i].Endpoint < rows[j].Endpoint
	})
	return rows
}

// observed is when an observation was made: checked, else updated.
func observed(checked, updated time.Time) string {
	if checked.IsZero() {
		checked = updated
	}
	return checked.UTC().Format(time.RFC3339)
}

// FleetActive is what runs on the other live hosts of f (every host but
// self): each host's published slots, then the slot claims no published
// slot shows yet (a server starting), by host and port. The fleet
// unreadable, its error (wrapping fleet.ErrUnavailable when unreachable).
func FleetActive(ctx context.Context, f fleet.Fleet, self string) ([]Active, error) {
	hosts, err := f.Hosts(ctx)
	if err != nil {
		return nil, err
	}
	claims, err := f.Claims(ctx)
	if err != nil {
		return nil, err
	}
	type slot struct {
		host string
		port int
	}
	seen := map[slot]bool{}
	var out []Active
	for _, h := range hosts {
		if h.ID == self {
			continue
		}
		for _, s := range h.Slots {
			seen[slot{h.ID, s.Port}] = true
			out = append(out, Active{Host: h.ID, LogicalName: s.Model, Port: s.Port, PID: s.PID, Endpoint: s.Endpoint})
		}
	}
	for _, c := range claims {
		if c.Host == self || seen[slot{c.Host, c.Port}] {
			continue
		}
		out = append(out, Active{Host: c.Host, LogicalName: c.Model, Port: c.Port,
			Notes: []string{fmt.Sprintf("claimed at %s; not running yet as far as host %s published", c.At.UTC().Format(time.RFC3339), c.Host)}})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host < out[j].Host
		}
		return out[i].Port < out[j].Port
	})
	return out, nil
}
