package main

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{fmt.Errorf("x: %w", registry.ErrNotFound), 1},
		{&core.CapabilityError{Name: "m", Missing: []string{"vision"}}, 1},
		{fmt.Errorf("verify: %w", &artifact.LockViolationError{Entry: "m"}), 2},
		{&kong.ParseError{}, 1},
		// A cancellation no signal caused (a plugin's, say) is a plain failure;
		// Main alone decides on 130, from its signal context.
		{fmt.Errorf("hashing: %w", context.Canceled), 1},
		{&statusError{msg: "down", code: 1}, 1},
		// A plugin that cannot be used is a plugin problem, 3.
		{fmt.Errorf("resolving %q: %w", "m", &pluginhost.PluginError{Plugin: "vllm", Err: pluginhost.ErrPluginUntrusted}), 3},
		{fmt.Errorf("resolving %q: %w", "m", &pluginhost.NotFoundError{Name: "x"}), 3},
		// A name that is no backend at all is a usage mistake, even should it
		// also carry the plugin host's not-found error.
		{&core.UnknownBackendError{Name: "olama"}, 1},
		{errors.Join(&core.UnknownBackendError{Name: "olama"}, &pluginhost.NotFoundError{Name: "olama"}), 1},
		{&pluginhost.PluginError{Plugin: "vllm", Err: fmt.Errorf("%w: Health", pluginhost.ErrPluginCrashed)}, 3},
		{&pluginhost.PluginError{Plugin: "vllm", Err: context.Canceled}, 1},
		// Another host's pin won a lock race: 4; the fleet unreachable is
		// not the command's end (it warns and answers locally).
		{&core.FleetPinError{Name: "m", Err: &fleet.ConflictError{Key: "pins/m"}}, 4},
		{errors.New("anything else"), 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestOneLine(t *testing.T) {
	err := errors.New("plugin vllm crashed\nlast stderr: \x1b[31mred\x1b[0m\tdone\n")
	if got, want := oneLine(err), `plugin vllm crashed; last stderr: \x1b[31mred\x1b[0m\tdone`; got != want {
		t.Errorf("oneLine(%q) = %q, want %q", err, got, want)
	}
}
