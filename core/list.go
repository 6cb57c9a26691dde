package core

import (
	"context"
	"encoding/json"
)

// ListOptions filter List.
type ListOptions struct {
	// Role keeps only entries that list this role.
	Role string
	// All includes deprecated entries.
	All bool
}

// ListRow is one entry in a listing.
type ListRow struct {
	Name    string   `json:"name"`
	Backend string   `json:"backend"`
	Locked  bool     `json:"locked"`
	Vision  bool     `json:"vision"`
	Roles   []string `json:"roles"`
	// Hash is the first 12 hex digits of the aggregate, or "".
	Hash string `json:"hash"`
}

// List returns the registry's entries, sorted by name, filtered by opts.
func (l *Loader) List(ctx context.Context, opts ListOptions) []ListRow {
	entries := l.reg.Entries(ctx)
	rows := make([]ListRow, 0, len(entries))
	for _, e := range entries {
		if (e.Deprecated() && !opts.All) || (opts.Role != "" && !hasRole(e, opts.Role)) {
			continue
		}
		roles := e.Roles()
		if roles == nil {
			roles = []string{}
		}
		rows = append(rows, ListRow{
			Name:    e.Name(),
			Backend: e.Backend(),
			Locked:  e.VersionLock().Locked,
			Vision:  e.HasCapability("vision"),
			Roles:   roles,
			Hash:    shortHash(e.AggregateSHA256()),
		})
	}
	return rows
}

// shortHash is the first 12 characters of an aggregate, or "".
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// MetricsRow is one entry's lock state in a metrics listing.
type MetricsRow struct {
	Name   string `json:"name"`
	Locked bool   `json:"locked"`
	Hash   string `json:"hash"`
}

// EntryMetrics is one entry's full metrics.
type EntryMetrics struct {
	Name            string `json:"name"`
	Locked          bool   `json:"locked"`
	AggregateSHA256 string `json:"aggregate_sha256"`
	// ExpectedAggregateSHA256 is the version lock's expected hash, "" when
	// none is stored.
	ExpectedAggregateSHA256 string `json:"expected_aggregate_sha256"`
	// LockKind is what the expected hash covers (full or the earlier Python
	// tool's legacy-partial); omitted when none is stored.
	LockKind LockKind `json:"lock_kind,omitempty"`
	// Performance and Probes are the entry's stored objects, as stored;
	// omitted when absent or null.
	Performance json.RawMessage `json:"performance,omitempty"`
	Probes      json.RawMessage `json:"probes,omitempty"`
}

// Metrics lists every entry's lock state and truncated hash, sorted by name.
func (l *Loader) Metrics(ctx context.Context) []MetricsRow {
	entries := l.reg.Entries(ctx)
	rows := make([]MetricsRow, len(entries))
	for i, e := range entries {
		rows[i] = MetricsRow{Name: e.Name(), Locked: e.VersionLock().Locked, Hash: shortHash(e.AggregateSHA256())}
	}
	return rows
}

// MetricsFor returns one entry's full aggregate, lock state and kind,
// performance and probes; name may be a unique alias. Telling a legacy
// partial lock may read the few small files it covers. The error wraps
// registry.ErrNotFound for an unknown name, registry.ErrAmbiguousAlias for
// an alias of several entries.
func (l *Loader) MetricsFor(ctx context.Context, name string) (EntryMetrics, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return EntryMetrics{}, err
	}
	return EntryMetrics{
		Name:                    e.Name(),
		Locked:                  e.VersionLock().Locked,
		AggregateSHA256:         e.Artifacts().AggregateSHA256,
		ExpectedAggregateSHA256: e.VersionLock().ExpectedAggregateSHA256,
		LockKind:                l.lockKind(ctx, e),
		Performance:             present(e.Performance()),
		Probes:                  present(e.Probes()),
	}, nil
}

// present returns raw unless it is absent or JSON null.
func present(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}
