//go:build unix

package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// TestProtocolTooOldOrNew: a plugin offering a protocol this host does not
// speak is a protocol problem saying which side to upgrade, not a crash or
// a bare handshake failure.
func TestProtocolTooOldOrNew(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		want    string
	}{
		{"future", 9, "it speaks protocol 9, this host speaks 1; the plugin is newer than this imageworks-loader: upgrade imageworks-loader"},
		{"ancient", 0, "it speaks protocol 0, this host speaks 1; the plugin is too old for this imageworks-loader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			script := fmt.Sprintf("#!/bin/sh\necho '1|%d|unix|/nonexistent|grpc|'\nsleep 30\n", tc.version)
			if err := safefile.WriteExecutable(filepath.Join(dir, ExecutablePrefix+tc.name), strings.NewReader(script), 0o755); err != nil {
				t.Fatal(err)
			}
			h := newTestHost(t, nil, dir)
			_, err := h.Backend(context.Background(), tc.name)
			if !errors.Is(err, ErrPluginProtocol) || !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), tc.want) || !IsPluginFailure(err) {
				t.Errorf("Backend(%s) error = %v, want ErrPluginProtocol (and ErrHandshake) saying %q", tc.name, err, tc.want)
			}
		})
	}
}

func TestIsPluginFailure(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&PluginError{Plugin: "x", Err: ErrPluginUntrusted}, true},
		{&NotFoundError{Name: "x"}, true},
		{&PluginError{Plugin: "x", Err: context.Canceled}, false},
		{ErrHostClosed, false},
		{errors.New("model not found"), false},
	} {
		if got := IsPluginFailure(tc.err); got != tc.want {
			t.Errorf("IsPluginFailure(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// TestListDescribes: List shows what each plugin's Info says of itself and
// notes a file-name version that disagrees with it.
func TestListDescribes(t *testing.T) {
	dir := installPlugins(t, ExecutablePrefix+"good_v1.2.3", ExecutablePrefix+"other_v0.2.0")
	h := newTestHost(t, nil, dir)
	list, err := h.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("List() = %+v, want 2 plugins", list)
	}
	for _, p := range list {
		if p.Description != "fake "+p.Name || p.Homepage != "https://example.com/"+p.Name ||
			len(p.Implements) != 1 || p.Implements[0] != "ProbeVision" || p.Problem != "" {
			t.Errorf("List() %s = %+v, want its Info's description, homepage and implements", p.Name, p)
		}
	}
	good, other := list[0], list[1]
	if good.FileVersion != "1.2.3" || len(good.Notes) != 0 {
		t.Errorf("List() good = file version %q, notes %q, want 1.2.3 and no note", good.FileVersion, good.Notes)
	}
	if other.FileVersion != "0.2.0" || len(other.Notes) != 1 || !strings.Contains(other.Notes[0], `file name says version 0.2.0 but the plugin's Info says "1.2.3"`) {
		t.Errorf("List() other = file version %q, notes %q, want a note that 0.2.0 disagrees with 1.2.3", other.FileVersion, other.Notes)
	}
}
