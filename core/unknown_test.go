package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
)

// TestSelectSuggests: typos in what a caller gives select are told apart
// from what is really missing, each with the close names, and keep their
// error classes (ErrNotFound, ErrCapability).
func TestSelectSuggests(t *testing.T) {
	l := open(t, writeRegistry(t, rolesRegistry+"\n", `[{"name": "custom", "backend": "vllm", "capabilities": {"sparkle": true}, "roles": ["chat"]}]`), nil)
	ctx := context.Background()

	_, err := l.Select(ctx, "B-Cap", SelectOptions{})
	var nf *registry.NotFoundError
	if !errors.Is(err, registry.ErrNotFound) || !errors.As(err, &nf) || !reflect.DeepEqual(nf.Suggestions, []string{"b-cap"}) {
		t.Errorf("Select(B-Cap) = %v, want a *registry.NotFoundError suggesting b-cap", err)
	}

	// A required capability no synonym and no entry knows is a typo; one
	// an entry stores (sparkle) is a capability the model lacks.
	var uc *UnknownCapabilityError
	_, err = l.Select(ctx, "b-cap", SelectOptions{Require: []string{"visoin"}})
	if !errors.Is(err, ErrCapability) || !errors.As(err, &uc) || !reflect.DeepEqual(uc.Suggestions, []string{"vision"}) ||
		err.Error() != `unknown capability "visoin"; did you mean "vision"?` {
		t.Errorf("Select(b-cap, visoin) = %v, want an *UnknownCapabilityError suggesting vision", err)
	}
	_, err = l.Select(ctx, "b-cap", SelectOptions{Require: []string{"teleport"}})
	if !errors.As(err, &uc) || uc.Suggestions != nil || !reflect.DeepEqual(uc.Known, registry.CanonicalCapabilities()) {
		t.Errorf("Select(b-cap, teleport) = %v, want an *UnknownCapabilityError listing the canonical capabilities", err)
	}
	var ce *CapabilityError
	if _, err = l.Select(ctx, "b-cap", SelectOptions{Require: []string{"Sparkle"}}); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Missing, []string{"sparkle"}) {
		t.Errorf("Select(b-cap, Sparkle) = %v, want a *CapabilityError missing sparkle", err)
	}
	if _, err = l.SelectRole(ctx, "chat", SelectOptions{Require: []string{"toools"}}); !errors.As(err, &uc) || !reflect.DeepEqual(uc.Suggestions, []string{"tools"}) {
		t.Errorf("SelectRole(chat, toools) = %v, want an *UnknownCapabilityError suggesting tools", err)
	}

	// A role no entry lists: the close roles, or every role listed.
	_, err = l.SelectRole(ctx, "captoin", SelectOptions{})
	if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Suggestions, []string{"caption"}) || err.Error() != `no model has role "captoin"; did you mean "caption"?` {
		t.Errorf("SelectRole(captoin) = %v, want a *CapabilityError suggesting caption", err)
	}
	_, err = l.SelectRole(ctx, "zzzzzzzz", SelectOptions{})
	if !errors.As(err, &ce) || ce.Suggestions != nil || !reflect.DeepEqual(ce.KnownRoles, []string{"caption", "chat"}) {
		t.Errorf("SelectRole(zzzzzzzz) = %v, want a *CapabilityError listing caption and chat", err)
	}
	// A role that exists but whose entries lack a capability: no hint.
	_, err = l.SelectRole(ctx, "chat", SelectOptions{Require: []string{"audio"}})
	if !errors.As(err, &ce) || ce.Suggestions != nil || ce.KnownRoles != nil {
		t.Errorf("SelectRole(chat, audio) = %v, want a *CapabilityError without hints", err)
	}

	// A preferred name that names nothing is an error, not skipped.
	_, err = l.SelectRole(ctx, "caption", SelectOptions{Prefer: []string{"a-cap", "b-cpa"}})
	if !errors.As(err, &nf) || !reflect.DeepEqual(nf.Suggestions, []string{"b-cap"}) {
		t.Errorf("SelectRole(caption, prefer b-cpa) = %v, want a *registry.NotFoundError suggesting b-cap", err)
	}
	if sel, err := l.SelectRole(ctx, "caption", SelectOptions{Prefer: []string{"a-cap"}}); err != nil || sel.LogicalName != "a-cap" {
		t.Errorf("SelectRole(caption, prefer a-cap) = %v, %v, want a-cap", sel.LogicalName, err)
	}
}

// TestImportUnknownBackend: a backend name that is neither bundled nor
// installed nor used by an entry is an *UnknownBackendError with the
// close names; one an entry uses, or an installed plugin, is not (its
// missing or broken plugin is a plugin problem).
func TestImportUnknownBackend(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "m", "backend": "mine"}]`, "")
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, pluginhost.ExecutablePrefix+"installed"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := Open(context.Background(), Options{
		RegistryDir:   dir,
		PluginDirs:    []string{plugins},
		ExecutableDir: t.TempDir(),
		Getenv:        func(k string) string { return map[string]string{"HOME": dir, "XDG_DATA_HOME": dir}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	var ub *UnknownBackendError
	for name, want := range map[string][]string{"olama": {"ollama"}, "VLLM": {"vllm"}, "mien": {"mine"}, "instaled": {"installed"}} {
		_, err := l.Import(ctx, name, ImportOptions{Endpoint: "http://127.0.0.1:9/v1", DryRun: true})
		if !errors.Is(err, ErrUnknownBackend) || !errors.As(err, &ub) || !reflect.DeepEqual(ub.Suggestions, want) || pluginhost.IsPluginFailure(err) {
			t.Errorf("Import(%s) = %v, want an *UnknownBackendError suggesting %q", name, err, want)
		}
	}
	_, err = l.Import(ctx, "zzzzzzzzz", ImportOptions{DryRun: true})
	if !errors.As(err, &ub) || ub.Suggestions != nil || !reflect.DeepEqual(ub.Known, []string{"installed", "lmdeploy", "mine", "ollama", "vllm"}) {
		t.Errorf("Import(zzzzzzzzz) = %v, want an *UnknownBackendError listing every known backend", err)
	}
	// Known names whose plugin is missing stay plugin problems.
	for _, name := range []string{"mine", "ollama"} {
		if _, err := l.Import(ctx, name, ImportOptions{DryRun: true}); errors.As(err, &ub) || !errors.Is(err, pluginhost.ErrPluginNotFound) {
			t.Errorf("Import(%s) = %v, want the plugin host's not-found error", name, err)
		}
	}
	// A caller's own source cannot be listed: its error stays as it is.
	l2, err := Open(ctx, Options{RegistryDir: dir, Source: InProcess{"x": nil}})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if _, err := l2.Import(ctx, "olama", ImportOptions{DryRun: true}); errors.As(err, &ub) || !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("Import(olama) with a caller's source = %v, want its own ErrUnknownBackend", err)
	}
}
