package core

import (
	"context"
	"errors"
	"fmt"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/registry"
)

// ModelInfo is what a gateway in front of the model servers needs to know
// of one entry: how clients may name it, what it can do, what the registry
// proves about it, and which server slot it runs in.
type ModelInfo struct {
	Name          string
	DisplayName   string
	Backend       string
	ServedModelID string
	Aliases       []string
	Roles         []string
	RolePriority  map[string]int
	Capabilities  map[string]bool
	Deprecated    bool
	Card          registry.Card
	// Port is backend_config.port; 0 means the backend's default (for a
	// server the host runs: the default slot).
	Port int
	// Locked and ExpectedAggregateSHA256 are the version lock; LockError
	// is set when its fields have the wrong type (see
	// registry.Entry.CheckedVersionLock): such an entry must not be
	// started as if unlocked.
	Locked                  bool
	ExpectedAggregateSHA256 string
	LockError               error
	// AggregateSHA256 is the last verified aggregate, "" when none.
	AggregateSHA256 string
	// VisionProbe is the last vision probe's record; nil when never probed.
	VisionProbe *registry.VisionProbe
}

// Models returns every entry (deprecated ones too, flagged), sorted by
// name, as a gateway routes them.
func (l *Loader) Models(ctx context.Context) []ModelInfo {
	entries := l.reg.Entries(ctx)
	out := make([]ModelInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, modelInfo(e))
	}
	return out
}

func modelInfo(e *registry.Entry) ModelInfo {
	m := ModelInfo{
		Name: e.Name(), DisplayName: e.DisplayName(), Backend: e.Backend(), ServedModelID: e.ServedModelID(),
		Aliases: e.Aliases(), Roles: e.Roles(), RolePriority: e.RolePriority(), Capabilities: e.Capabilities(),
		Deprecated: e.Deprecated(), Card: e.Card(), Port: e.BackendConfig().Port, AggregateSHA256: e.AggregateSHA256(),
	}
	vl, err := e.CheckedVersionLock()
	m.Locked, m.ExpectedAggregateSHA256, m.LockError = vl.Locked, vl.ExpectedAggregateSHA256, err
	if p, ok := e.LastVisionProbe(); ok {
		m.VisionProbe = &p
	}
	return m
}

// Generation changes whenever the registry's entries may have changed (a
// file re-read from disk, an edit, a save): a caller keeping something
// derived from Models rebuilds it when the generation moves.
func (l *Loader) Generation(ctx context.Context) uint64 { return l.reg.Generation(ctx) }

// LifecycleKind is how a backend makes a model available.
type LifecycleKind string

const (
	// RunsServer: the host runs the model's server (vLLM, LMDeploy): one
	// per port, so entries of one port share a slot.
	RunsServer LifecycleKind = "server"
	// LoadsModel: the backend's server loads models itself (Ollama).
	LoadsModel LifecycleKind = "load"
)

// Lifecycle says how the entry's backend activates it. Errors: an unknown
// name, a backend that cannot be had (a plugin problem), or one with no
// lifecycle (wrapping ErrNoLifecycle).
func (l *Loader) Lifecycle(ctx context.Context, name string) (LifecycleKind, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return "", err
	}
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return "", err
	}
	lc, err := lifecycleOf(ctx, b, e.Backend())
	switch {
	case err != nil:
		return "", err
	case lc.loader != nil:
		return LoadsModel, nil
	}
	return RunsServer, nil
}

// RecordPerformance folds measured requests into each named entry's
// performance block in the discovered layer and saves once (the locked
// save: re-read, apply, atomic write). samples maps entry names to their
// samples, oldest first. Entries that no longer exist are skipped; the
// error joins what failed.
func (l *Loader) RecordPerformance(ctx context.Context, samples map[string][]registry.PerformanceSample) error {
	var errs []error
	staged := false
	for name, s := range samples {
		err := l.reg.Update(ctx, name, func(ed *registry.Edit) error { return ed.RecordPerformance(s) })
		switch {
		case errors.Is(err, registry.ErrNotFound):
		case err != nil:
			errs = append(errs, fmt.Errorf("performance of %q: %w", name, err))
		default:
			staged = true
		}
	}
	if staged {
		if err := l.reg.Save(ctx); err != nil {
			errs = append(errs, fmt.Errorf("saving performance: %w", err))
		}
	}
	return errors.Join(errs...)
}

// FilesStamp is a cheap fingerprint of the entry's model files (see
// artifact.Stamp): equal stamps mean a verification made at the first
// still holds, so a gateway verifies a locked entry again only when it
// moved. Errors are those of finding the files (see Verify).
func (l *Loader) FilesStamp(ctx context.Context, name string) (string, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return "", err
	}
	src, _, err := l.artifactSource(ctx, e)
	if err != nil {
		return "", err
	}
	return artifact.Stamp(ctx, src, artifact.Options{})
}
