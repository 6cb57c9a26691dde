//go:build unix

package pluginhost

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// sha256File recomputes a file's digest for the expectations.
func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func writeLock(t *testing.T, path string, lf PinFile) {
	t.Helper()
	data, err := json.Marshal(lf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWritePinFile(t *testing.T) {
	t.Parallel()
	dir := installPlugins(t, ExecutablePrefix+"good", ExecutablePrefix+"alpha")
	lockPath := filepath.Join(t.TempDir(), PinFileName)
	const other = "plan9/386"
	plat := platform()
	fake := strings.Repeat("ab", 32)
	writeLock(t, lockPath, PinFile{Format: 1, Plugins: map[string]PinnedPlugin{
		"good":  {Version: "1.2.3", SHA256: map[string]string{other: fake, plat: fake}}, // same version: keep plan9
		"alpha": {Version: "0.9.0", SHA256: map[string]string{other: fake}},             // new version: drop plan9
		"gone":  {Version: "0.1.0", SHA256: map[string]string{other: fake, plat: fake}}, // not installed here
		"stale": {Version: "0.1.0", SHA256: map[string]string{plat: fake}},
	}})

	h := newTestHost(t, nil, dir)
	h.opts.PinFile = lockPath
	// Under the old lock, good's hash is wrong: refused.
	if _, err := h.Backend(context.Background(), "good"); !errors.Is(err, ErrPluginUntrusted) {
		t.Fatalf("Backend(good) under the old lock error = %v, want ErrPluginUntrusted", err)
	}
	if err := h.WritePinFile(context.Background(), lockPath); err != nil {
		t.Fatalf("WritePinFile() = %v", err)
	}
	got, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	good := sha256File(t, filepath.Join(dir, ExecutablePrefix+"good"))
	alpha := sha256File(t, filepath.Join(dir, ExecutablePrefix+"alpha"))
	want := `{
  "format": 1,
  "plugins": {
    "alpha": {
      "version": "1.2.3",
      "sha256": {
        "` + plat + `": "` + alpha + `"
      }
    },
    "gone": {
      "version": "0.1.0",
      "sha256": {
        "plan9/386": "` + fake + `"
      }
    },
    "good": {
      "version": "1.2.3",
      "sha256": {
        "` + plat + `": "` + good + `",
        "plan9/386": "` + fake + `"
      }
    }
  }
}
`
	if string(got) != want {
		t.Errorf("WritePinFile() wrote\n%s\nwant\n%s", got, want)
	}
	// The refusal is forgotten once the lock trusts the binary.
	if _, err := h.Backend(context.Background(), "good"); err != nil {
		t.Errorf("Backend(good) after WritePinFile error = %v", err)
	}
	// Writing again changes nothing.
	if err := h.WritePinFile(context.Background(), lockPath); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(lockPath); !bytes.Equal(again, got) {
		t.Errorf("second WritePinFile() wrote\n%s\nwant the same bytes", again)
	}
}

func TestWriteLockRefusesBrokenPlugins(t *testing.T) {
	t.Parallel()
	dir := installPlugins(t, ExecutablePrefix+"good", ExecutablePrefix+"crash")
	lockPath := filepath.Join(t.TempDir(), PinFileName)
	h := newTestHost(t, nil, dir)
	err := h.WritePinFile(context.Background(), lockPath)
	if !errors.Is(err, ErrPluginCrashed) || !strings.Contains(err.Error(), "crash") {
		t.Errorf("WritePinFile() with a crashing plugin = %v, want ErrPluginCrashed naming it", err)
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Errorf("WritePinFile() failed but wrote %s", lockPath)
	}
}

func TestPinning(t *testing.T) {
	plat := platform()
	tests := []struct {
		name    string
		lock    func(sum string) *PinFile // nil: no lock file
		raw     string                    // written instead when set
		wantErr string                    // "" = the plugin runs
		wantAs  any                       // a target errors.As must find, if set
	}{
		{name: "no lock file"},
		{name: "listed", lock: func(sum string) *PinFile {
			return &PinFile{Format: 1, Plugins: map[string]PinnedPlugin{"good": {Version: "1.2.3", SHA256: map[string]string{plat: sum}}}}
		}},
		{name: "not listed", lock: func(string) *PinFile {
			return &PinFile{Format: 1, Plugins: map[string]PinnedPlugin{}}
		}, wantErr: "does not list backend good"},
		{name: "hash changed", lock: func(string) *PinFile {
			return &PinFile{Format: 1, Plugins: map[string]PinnedPlugin{"good": {SHA256: map[string]string{plat: strings.Repeat("0", 64)}}}}
		}, wantErr: "pins 0000"},
		{name: "other platform only", lock: func(sum string) *PinFile {
			return &PinFile{Format: 1, Plugins: map[string]PinnedPlugin{"good": {SHA256: map[string]string{"plan9/386": sum}}}}
		}, wantErr: "no SHA-256 of backend good for " + plat},
		{name: "unreadable lock", raw: `{"format": 1, "plugins": {"good": {"sha256": {"x": "not hex"}}}}`, wantErr: "not a hex SHA-256"},
		{name: "unknown format", raw: `{"format": 2, "plugins": {}}`, wantErr: "format 2"},
		{name: "not JSON", raw: `{"format": 1 x}`, wantErr: "invalid character", wantAs: new(*json.SyntaxError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := installPlugins(t, ExecutablePrefix+"good")
			out := filepath.Join(t.TempDir(), "out")
			lockPath := filepath.Join(t.TempDir(), PinFileName)
			switch {
			case tt.raw != "":
				if err := os.WriteFile(lockPath, []byte(tt.raw), 0o644); err != nil {
					t.Fatal(err)
				}
			case tt.lock != nil:
				writeLock(t, lockPath, *tt.lock(sha256File(t, filepath.Join(dir, ExecutablePrefix+"good"))))
			}
			h := newTestHost(t, testEnv{envOut: out}, dir)
			h.opts.PinFile = lockPath
			_, err := h.Backend(context.Background(), "good")
			ran := len(readReports(t, out)) > 0
			if tt.wantErr == "" {
				if err != nil || !ran {
					t.Errorf("Backend(good) = %v (ran %v), want it to run", err, ran)
				}
				return
			}
			if !errors.Is(err, ErrPluginUntrusted) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Backend(good) error = %v, want ErrPluginUntrusted containing %q", err, tt.wantErr)
			}
			if tt.wantAs != nil && !errors.As(err, tt.wantAs) {
				t.Errorf("Backend(good) error = %v, want it to wrap a %T", err, tt.wantAs)
			}
			if tt.lock != nil && !strings.Contains(err.Error(), "run imageworks-loader plugins lock") {
				t.Errorf("Backend(good) error = %v, want it to say how to re-lock", err)
			}
			if ran {
				t.Errorf("Backend(good) refused the plugin after running it, want it never run")
			}
		})
	}
}

// A binary that changes after `plugins lock` is refused before it runs,
// and the message gives both digests.
func TestPinnedBinaryChanged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, ExecutablePrefix+"good")
	copyFile(t, path)
	out := filepath.Join(t.TempDir(), "out")
	lockPath := filepath.Join(t.TempDir(), PinFileName)
	if err := newTestHost(t, nil, dir).WritePinFile(context.Background(), lockPath); err != nil {
		t.Fatal(err)
	}
	locked := sha256File(t, path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("tampered"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	now := sha256File(t, path)

	h := newTestHost(t, testEnv{envOut: out}, dir)
	h.opts.PinFile = lockPath
	_, err = h.Backend(context.Background(), "good")
	if !errors.Is(err, ErrPluginUntrusted) || !strings.Contains(err.Error(), "SHA-256 is "+now+" but "+lockPath+" pins "+locked) {
		t.Errorf("Backend(good) error = %v, want ErrPluginUntrusted naming both digests", err)
	}
	if len(readReports(t, out)) > 0 {
		t.Errorf("the changed binary ran")
	}
}

// copyFile copies the test binary to dst (never a link: the test edits it).
func copyFile(t *testing.T, dst string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := safefile.WriteExecutable(dst, src, 0o755); err != nil {
		t.Fatal(err)
	}
}

// A failure to hash the binary after the lock check stays matchable.
func TestMismatchKeepsCause(t *testing.T) {
	h := New(Options{PinFile: filepath.Join(t.TempDir(), PinFileName)})
	missing := filepath.Join(t.TempDir(), ExecutablePrefix+"gone")
	err := h.mismatch(missing, make([]byte, 32))
	if !errors.Is(err, ErrPluginUntrusted) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("mismatch(%s) = %v, want ErrPluginUntrusted and fs.ErrNotExist", missing, err)
	}
}

// Every call that reads the disk gives up with ctx's error once ctx is
// done, before reading anything or starting a plugin.
func TestCancelledContext(t *testing.T) {
	t.Parallel()
	dir := installPlugins(t, ExecutablePrefix+"good")
	lockPath := filepath.Join(t.TempDir(), PinFileName)
	writeLock(t, lockPath, PinFile{Format: 1, Plugins: map[string]PinnedPlugin{}})
	newLock := filepath.Join(t.TempDir(), PinFileName)
	out := filepath.Join(t.TempDir(), "out")
	h := newTestHost(t, testEnv{envOut: out}, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		call func() error
	}{
		{"ReadPinFile", func() error { _, err := ReadPinFile(ctx, lockPath); return err }},
		{"Find", func() error { _, err := h.Find(ctx, "good"); return err }},
		{"List", func() error { _, err := h.List(ctx); return err }},
		{"WritePinFile", func() error { return h.WritePinFile(ctx, newLock) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("%s(cancelled ctx) error = %v, want context.Canceled", tt.name, err)
			}
		})
	}
	if _, err := os.Stat(newLock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WritePinFile(cancelled ctx) wrote %s, want nothing written", newLock)
	}
	if got := readReports(t, out); len(got) != 0 {
		t.Errorf("a cancelled call started a plugin: %q", got)
	}
}

// TestCheckTrustCancelledIsNotDistrust: a start cancelled while reading the
// lock file reports the cancellation, not an untrusted plugin.
func TestCheckTrustCancelledIsNotDistrust(t *testing.T) {
	lockPath := filepath.Join(t.TempDir(), PinFileName)
	writeLock(t, lockPath, PinFile{Format: 1, Plugins: map[string]PinnedPlugin{}})
	h := New(Options{PinFile: lockPath})
	defer h.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := h.checkTrust(ctx, "good")
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrPluginUntrusted) {
		t.Errorf("checkTrust(cancelled ctx) = %v, want context.Canceled and not ErrPluginUntrusted", err)
	}
}
