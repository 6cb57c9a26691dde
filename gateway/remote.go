package gateway

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/fleet"
)

// remoteRoute is, for a model no entry of this host's registry names, the
// server another fleet host runs for it (core.Loader.Select ranks the
// fleet's hosts: up and serving, verified against the fleet's pin when
// locked, its probe passed when the request carries images), or nil
// when no host serves it (as the hosts last published) or the Loader has
// no fleet. A request with images for a model other hosts serve only
// without vision is refused as for a local one (409 capability_mismatch).
func (g *Gateway) remoteRoute(ctx context.Context, model string, messages json.RawMessage) (*core.Selection, *apiError) {
	if model == "" {
		return nil, nil
	}
	found, _ := images(messages)
	var req []string
	if found {
		req = []string{"vision"}
	}
	if sel := g.remoteServer(ctx, model, req); sel != nil {
		return sel, nil
	}
	if found && g.remoteServer(ctx, model, nil) != nil {
		return nil, refuse(409, errCapabilityMismatch, fmt.Sprintf("Model '%s' does not support vision/image content", model))
	}
	return nil, nil
}

// remoteServer is another host's server for model holding req, or nil.
func (g *Gateway) remoteServer(ctx context.Context, model string, req []string) *core.Selection {
	// Live: for another host, what it last published (no request to it).
	sel, err := g.l.Select(ctx, model, core.SelectOptions{Require: req, Live: true})
	if err != nil || sel.Host == "" || sel.Host == g.l.HostID() || sel.LiveProblem() != nil {
		return nil // unknown, this host's, or not served where it is known
	}
	return &sel
}

// forwardRemote sends a request to another host's server as it is: that
// host runs and gates it (its gateway's starts and swaps are its own), so
// nothing here starts, swaps or measures it.
func (g *Gateway) forwardRemote(w http.ResponseWriter, r *http.Request, body []byte, messages json.RawMessage, sel *core.Selection) {
	if _, size := images(messages); size > g.opts.MaxImageBytes {
		writeError(w, refuse(413, errPayloadTooLarge, fmt.Sprintf("Image payload exceeds limit %d bytes", g.opts.MaxImageBytes)))
		return
	}
	h := w.Header()
	h.Set(HeaderModel, sel.LogicalName)
	h.Set(HeaderBackend, sel.Backend)
	h.Set(HeaderServed, sel.InternalModelID)
	h.Set(HeaderHost, sel.Host)
	g.log.Debug("forwarding to another host", "model", sel.LogicalName, "host", sel.Host, "endpoint", sel.Endpoint)
	g.forward(w, r, body, sel.LogicalName, sel.InternalModelID, sel.Endpoint, nil)
}

// Running is what runs in the gateway's slots now (servers it started or
// found running, loaded models), by port, for the fleet's view of this
// host (core.ObserveOptions.Slots).
func (g *Gateway) Running() []fleet.Slot {
	var out []fleet.Slot
	for _, s := range g.slotList() {
		s.mu.Lock()
		if cur := s.current; cur != nil {
			out = append(out, fleet.Slot{Port: s.port, Model: cur.name, Endpoint: cur.endpoint})
		}
		s.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b fleet.Slot) int { return cmp.Or(a.Port-b.Port, strings.Compare(a.Model, b.Model)) })
	return out
}

// claim takes s's port in the fleet for name before a start (see
// core.Loader.ClaimSlot): another process of this host holding it (a
// second gateway) is a 503 and nothing starts; the fleet unreachable,
// the start goes on. Slots without a port (loaded models) claim nothing.
func (g *Gateway) claim(ctx context.Context, s *slot, name string) error {
	if s.port <= 0 {
		return nil
	}
	release, err := g.l.ClaimSlot(ctx, s.port, name)
	var ce *fleet.ConflictError
	switch {
	case errors.As(err, &ce):
		holder := "another process"
		if c, ok := ce.Current.(*fleet.SlotClaim); ok && c != nil {
			holder = fmt.Sprintf("another process of host %s (for %s)", c.Host, c.Model)
		}
		return refuse(503, errSlotClaimed, fmt.Sprintf("Port %d is claimed by %s: '%s' cannot start there", s.port, holder, name))
	case err != nil:
		g.log.Warn("fleet: claiming the slot failed; starting anyway", "port", s.port, "model", name, "error", oneLine(err))
		return nil
	}
	g.mu.Lock()
	g.claims[s.port] = release
	g.mu.Unlock()
	return nil
}

// unclaim gives s's fleet claim up after its server stopped.
func (g *Gateway) unclaim(ctx context.Context, s *slot) {
	g.mu.Lock()
	release := g.claims[s.port]
	delete(g.claims, s.port)
	g.mu.Unlock()
	if release != nil {
		if err := release(ctx); err != nil {
			g.log.Debug("fleet: releasing the slot claim", "port", s.port, "error", oneLine(err))
		}
	}
}
