package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/sdk"
)

// ListCmd is `list`.
type ListCmd struct {
	Role string `predictor:"role" help:"Only entries that list this role."`
	All  bool   `help:"Include deprecated entries."`
}

// Run prints the rows.
func (c *ListCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	rows := l.List(ctx, core.ListOptions{Role: c.Role, All: c.All})
	return a.emit(rows, func(w io.Writer) {
		row(w, "NAME", "BACKEND", "LOCKED", "VISION", "ROLES", "HASH")
		for _, r := range rows {
			row(w, r.Name, r.Backend, r.Locked, r.Vision, r.Roles, r.Hash)
		}
	})
}

// MetricsCmd is `metrics [NAME]`.
type MetricsCmd struct {
	Name string `arg:"" optional:"" predictor:"model" help:"One entry: full hash, performance and probes."`
}

// Run prints every entry's lock state, or one entry's metrics.
func (c *MetricsCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	if c.Name != "" {
		m, err := l.MetricsFor(ctx, c.Name)
		if err != nil {
			return err
		}
		return a.emit(m, func(w io.Writer) { metricsTable(w, m) })
	}
	rows := l.Metrics(ctx)
	return a.emit(rows, func(w io.Writer) {
		row(w, "NAME", "LOCKED", "HASH")
		for _, r := range rows {
			row(w, r.Name, r.Locked, r.Hash)
		}
	})
}

// VersionCmd is `version`.
type VersionCmd struct{}

type versionInfo struct {
	Version   string `json:"version"`
	Go        string `json:"go"`
	Protocols []int  `json:"plugin_protocols"`
}

// Run prints the version.
func (c *VersionCmd) Run(a *App) error {
	v := versionInfo{Version: version, Go: runtime.Version(), Protocols: []int{sdk.ProtocolVersion}}
	return a.emit(v, func(w io.Writer) {
		row(w, "VERSION", "GO", "PLUGIN_PROTOCOLS")
		row(w, v.Version, v.Go, fmt.Sprint(v.Protocols))
	})
}
