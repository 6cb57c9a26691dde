package core

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/internal/suggest"
	"github.com/imageworks-ai/loader/sdk"
)

// BundledBackends returns the backends that ship with the loader, sorted:
// lmdeploy, ollama, vllm.
func BundledBackends() []string { return []string{"lmdeploy", "ollama", "vllm"} }

// KnownRoles returns the roles the loader knows, sorted: the ones that
// require vision (caption, description, keywords, narration) and the ones
// the reference registries use (chat, embedding, object_detection,
// vision_general). Other roles are allowed; validate warns about them and
// suggests the closest known one.
func KnownRoles() []string {
	return []string{"caption", "chat", "description", "embedding", "keywords", "narration", "object_detection", "vision_general"}
}

// UnknownCapabilityError reports a required capability that is neither a
// canonical capability, nor a synonym of one, nor a key any entry of the
// registry stores: a typo rather than a capability the model lacks. It
// wraps ErrCapability.
type UnknownCapabilityError struct {
	// Name is the capability as the caller gave it.
	Name string
	// Suggestions are the known capability names closest to Name, best
	// first; empty when nothing is close.
	Suggestions []string
	// Known are the canonical capabilities, listed when nothing is close.
	Known []string
}

// Error names the capability and what it may have meant.
func (e *UnknownCapabilityError) Error() string {
	return suggest.Append(fmt.Sprintf("unknown capability %q", e.Name), e.Suggestions, e.Known)
}

// Unwrap returns ErrCapability.
func (e *UnknownCapabilityError) Unwrap() error { return ErrCapability }

// UnknownBackendError reports a backend name that is neither bundled nor
// an installed plugin nor used by any registry entry: a usage mistake
// (import olama), not a missing plugin. It wraps ErrUnknownBackend.
type UnknownBackendError struct {
	// Name is the backend as the caller gave it.
	Name string
	// Suggestions are the known backend names closest to Name, best first;
	// empty when nothing is close.
	Suggestions []string
	// Known are every known backend, listed when nothing is close.
	Known []string
}

// Error names the backend and what it may have meant.
func (e *UnknownBackendError) Error() string {
	return suggest.Append(fmt.Sprintf("backend %q: %v: not bundled, no plugin imageworks-backend-%s is installed and no entry uses it", e.Name, ErrUnknownBackend, e.Name), e.Suggestions, e.Known)
}

// Unwrap returns ErrUnknownBackend.
func (e *UnknownBackendError) Unwrap() error { return ErrUnknownBackend }

// checkRequirements returns an *UnknownCapabilityError for the first of
// req that no capability name and no stored key of entries matches. The
// entries are only looked at for a name outside the synonym table.
func checkRequirements(req []string, entries func() []*registry.Entry) error {
	var stored map[string]bool
	for _, r := range req {
		c := registry.CanonicalCapability(r)
		if c == "" || registry.KnownCapability(c) {
			continue
		}
		if stored == nil {
			stored = map[string]bool{}
			for _, e := range entries() {
				for k := range e.Capabilities() {
					stored[k] = true
				}
			}
		}
		if stored[c] {
			continue
		}
		known := append(registry.CapabilityNames(), slices.Collect(maps.Keys(stored))...)
		err := &UnknownCapabilityError{Name: r, Suggestions: suggest.Closest(c, known)}
		if len(err.Suggestions) == 0 {
			err.Known = registry.CanonicalCapabilities()
		}
		return err
	}
	return nil
}

// roleHints fills in a role error's suggestions when no entry lists role
// at all: the known roles and the roles entries list that are close to
// it, or every role entries list when none is.
func roleHints(e *CapabilityError, entries []*registry.Entry) {
	used := map[string]bool{}
	for _, en := range entries {
		for _, r := range en.Roles() {
			if normalRole(r) == normalRole(e.Role) {
				return // the role exists; the capabilities are what is missing
			}
			used[r] = true
		}
	}
	e.Suggestions = suggest.Closest(e.Role, append(KnownRoles(), slices.Collect(maps.Keys(used))...))
	if len(e.Suggestions) == 0 {
		e.KnownRoles = slices.Sorted(maps.Keys(used))
	}
}

// KnownBackends lists every backend name the Loader knows of, sorted: the
// bundled ones, its in-process backends, the plugins installed on the
// search path (found, never started) and the backends its entries use.
// A caller's Options.Source cannot be listed: with one, the plugins are
// left out. Errors: a bad plugin environment variable, ctx's error, or
// ErrClosed.
func (l *Loader) KnownBackends(ctx context.Context) ([]string, error) {
	set := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if n != "" {
				set[n] = true
			}
		}
	}
	add(BundledBackends()...)
	add(slices.Collect(maps.Keys(l.opts.Backends))...)
	for _, e := range l.reg.Entries(ctx) {
		add(e.Backend())
	}
	if l.opts.Source == nil {
		h, err := l.plugins()
		if err != nil {
			return nil, err
		}
		installed, err := h.Names(ctx)
		if err != nil {
			return nil, err
		}
		add(installed...)
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// namedBackend is backend for a name the caller typed (import's
// BACKEND): when no source has it and the name is no backend the Loader
// knows of, the error is an *UnknownBackendError with suggestions; a
// known backend whose plugin is missing keeps the plugin host's error.
func (l *Loader) namedBackend(ctx context.Context, name string) (sdk.Backend, error) {
	b, err := l.backend(ctx, name)
	if err == nil || !unknownBackend(err) {
		return b, err
	}
	if l.opts.Source != nil {
		return nil, err // the caller's source may know names no one can list
	}
	known, kerr := l.KnownBackends(ctx)
	if kerr != nil || slices.Contains(known, name) {
		return nil, err
	}
	ue := &UnknownBackendError{Name: name, Suggestions: suggest.Closest(name, known)}
	if len(ue.Suggestions) == 0 {
		ue.Known = known
	}
	return nil, ue
}
