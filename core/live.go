package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/imageworks-ai/loader/sdk"
)

// EndpointHealth is one distinct backend endpoint of the registry and what
// a health check found there.
type EndpointHealth struct {
	// Host is the fleet host the endpoint belongs to; omitted without a
	// fleet. Another host's rows are what it last published.
	Host     string `json:"host,omitempty"`
	Backend  string `json:"backend"`
	Endpoint string `json:"endpoint"`
	Up       bool   `json:"up"`
	Version  string `json:"version"`
	// Served and NotServed are the registered entries (logical names)
	// whose model the server does and does not serve, sorted.
	Served    []string `json:"served"`
	NotServed []string `json:"not_served"`
	LatencyMS int64    `json:"latency_ms"`
	Notes     []string `json:"notes,omitempty"`
	// Error is why the endpoint could not be checked, or "".
	Error string `json:"error,omitempty"`
	// Err is the error Error shows, nil when none, for errors.Is and
	// errors.As: a plugin that could not be used (see
	// pluginhost.IsPluginFailure) is a plugin problem, not a server down.
	Err error `json:"-"`
}

// endpointGroup collects the entries that share one backend endpoint.
type endpointGroup struct {
	backend, endpoint string
	names, ids        []string
	keys              []sdk.Secret // each entry's own API key
}

// Health checks every distinct endpoint of the registry's non-deprecated
// entries, concurrently, and reports them sorted by backend and endpoint.
// Entries sharing an endpoint with different API keys are checked with
// their own keys, so one entry's bad key never marks the others not served.
// Endpoints and errors are shown with their credentials redacted
// (sdk.RedactURL). A backend that cannot be reached is reported in its
// rows, not as an error; the error is non-nil only when ctx ends.
//
// With a fleet, the rows name this host, and every other live host's
// published endpoints follow (see fleetHealth).
func (l *Loader) Health(ctx context.Context) ([]EndpointHealth, error) {
	rows, _, err := l.localHealth(ctx)
	if err != nil || l.opts.Fleet == nil {
		return rows, err
	}
	for i := range rows {
		rows[i].Host = l.HostID()
	}
	return append(rows, l.fleetHealth(ctx)...), nil
}

// localHealth is Health of this host's registry alone, plus each resolved
// entry's selection by logical name.
func (l *Loader) localHealth(ctx context.Context) ([]EndpointHealth, map[string]Selection, error) {
	groups := map[string]*endpointGroup{}
	sels := map[string]Selection{}
	var unresolved []EndpointHealth
	for _, e := range l.reg.Entries(ctx) {
		if e.Deprecated() {
			continue
		}
		sel, err := l.resolve(ctx, e, false)
		if err != nil {
			unresolved = append(unresolved, EndpointHealth{Backend: e.Backend(), Served: []string{}, NotServed: []string{e.Name()}, Error: sdk.RedactText(err.Error()), Err: err})
			continue
		}
		sels[e.Name()] = sel
		key := e.Backend() + "\x00" + sel.Endpoint
		g := groups[key]
		if g == nil {
			g = &endpointGroup{backend: e.Backend(), endpoint: sel.Endpoint}
			groups[key] = g
		}
		g.names = append(g.names, e.Name())
		g.ids = append(g.ids, sel.InternalModelID)
		g.keys = append(g.keys, l.apiKey(e))
	}
	out := make([]EndpointHealth, 0, len(groups)+len(unresolved))
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	sem := make(chan struct{}, 8)
	for _, g := range groups {
		wg.Add(1)
		go func(g *endpointGroup) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			row := l.checkEndpoint(ctx, g)
			mu.Lock()
			out = append(out, row)
			mu.Unlock()
		}(g)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	out = append(out, unresolved...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Backend != out[j].Backend {
			return out[i].Backend < out[j].Backend
		}
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return strings.Join(out[i].NotServed, ",") < strings.Join(out[j].NotServed, ",")
	})
	return out, sels, nil
}

// checkEndpoint asks one endpoint's backend for its health, once per
// distinct API key among its entries (in the order the keys first appear),
// and merges the answers: the endpoint is up when any check found it up,
// each entry is served or not by the answer to its own key, and a failed
// check is a note naming its entries (the row's Error only when every
// check failed).
func (l *Loader) checkEndpoint(ctx context.Context, g *endpointGroup) EndpointHealth {
	row := EndpointHealth{Backend: g.backend, Endpoint: sdk.RedactURL(g.endpoint), Served: []string{}, NotServed: []string{}}
	b, err := l.backend(ctx, g.backend)
	if err != nil {
		row.Error, row.Err = sdk.RedactText(err.Error()), err
		row.NotServed = append(row.NotServed, g.names...)
		sort.Strings(row.NotServed)
		return row
	}
	var keys []sdk.Secret
	byKey := map[sdk.Secret][]int{}
	for i, k := range g.keys {
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], i)
	}
	var (
		failed []string
		errs   []error
	)
	for _, k := range keys {
		idx := byKey[k]
		ids := make([]string, len(idx))
		for j, i := range idx {
			ids[j] = g.ids[i]
		}
		st, err := callHealth(ctx, b, g.backend, sdk.HealthRequest{Endpoint: g.endpoint, Models: ids, APIKey: k})
		if err != nil {
			msg := sdk.RedactText(err.Error(), k)
			if len(keys) > 1 {
				names := make([]string, len(idx))
				for j, i := range idx {
					names[j] = g.names[i]
				}
				msg = fmt.Sprintf("%s: %s", strings.Join(names, ", "), msg)
			}
			failed = append(failed, msg)
			errs = append(errs, err)
			for _, i := range idx {
				row.NotServed = append(row.NotServed, g.names[i])
			}
			continue
		}
		if !row.Up || row.Version == "" {
			row.Version = st.Version
		}
		if st.Up && !row.Up {
			row.Up, row.LatencyMS = true, st.LatencyMS
		}
		for _, n := range st.Notes {
			if !slices.Contains(row.Notes, n) {
				row.Notes = append(row.Notes, n)
			}
		}
		served := make(map[string]bool, len(st.Models))
		for _, m := range st.Models {
			served[m.ID] = served[m.ID] || m.Served
		}
		for _, i := range idx {
			if served[g.ids[i]] {
				row.Served = append(row.Served, g.names[i])
			} else {
				row.NotServed = append(row.NotServed, g.names[i])
			}
		}
	}
	if len(failed) == len(keys) {
		row.Error, row.Err = strings.Join(failed, "; "), errors.Join(errs...)
	} else {
		row.Notes = append(row.Notes, failed...)
	}
	sort.Strings(row.Served)
	sort.Strings(row.NotServed)
	return row
}
