//go:build unix

package pluginhost

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

// A plugins.lock.json that is there but cannot be read (a dangling link, a
// FIFO, a folder) is never taken for "no lock file": every plugin is
// refused, at once, with an error naming the file.
func TestPinningFailsClosed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, path string)
		want  string
	}{
		{"dangling link", func(t *testing.T, path string) {
			if err := os.Symlink(filepath.Join(t.TempDir(), "gone.json"), path); err != nil {
				t.Fatal(err)
			}
		}, "dangling symbolic link"},
		{"FIFO", func(t *testing.T, path string) { safefiletest.MkFIFO(t, path) }, "FIFO"},
		{"folder", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := installPlugins(t, ExecutablePrefix+"good")
			out := filepath.Join(t.TempDir(), "out")
			lockPath := filepath.Join(t.TempDir(), PinFileName)
			tc.setup(t, lockPath)
			h := newTestHost(t, testEnv{envOut: out}, dir)
			h.opts.PinFile = lockPath
			err := safefiletest.Within(t, func() error { _, err := h.Backend(context.Background(), "good"); return err })
			if !errors.Is(err, ErrPluginUntrusted) || !strings.Contains(err.Error(), lockPath) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Backend(good) = %v, want ErrPluginUntrusted naming %s and saying %q", err, lockPath, tc.want)
			}
			if errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Backend(good) = %v, which wraps fs.ErrNotExist", err)
			}
			if len(readReports(t, out)) > 0 {
				t.Errorf("the plugin ran under an unreadable lock file")
			}
			// Writing a new lock refuses too: fix or remove it first.
			err = safefiletest.Within(t, func() error { return h.WritePinFile(context.Background(), lockPath) })
			if err == nil || !strings.Contains(err.Error(), lockPath) {
				t.Errorf("WritePinFile() = %v, want an error naming %s", err, lockPath)
			}
		})
	}
}

// A plugin binary replaced by a FIFO is refused when hashed, at once.
func TestHashRefusesFIFO(t *testing.T) {
	h := newTestHost(t, nil, t.TempDir())
	path := filepath.Join(t.TempDir(), ExecutablePrefix+"good")
	safefiletest.MkFIFO(t, path)
	err := safefiletest.Within(t, func() error { _, err := h.fileSHA256(path); return err })
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("fileSHA256(FIFO) = %v, want an error naming it", err)
	}
}
