package pluginhost

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile"
)

func TestParseFileName(t *testing.T) {
	tests := []struct {
		base, goos string
		name       string
		version    [3]int
		pre        string
		ok         bool
	}{
		{"imageworks-backend-vllm", "linux", "vllm", [3]int{}, "", true},
		{"imageworks-backend-llama-cpp", "linux", "llama-cpp", [3]int{}, "", true},
		{"imageworks-backend-vllm_v1.2.3", "linux", "vllm", [3]int{1, 2, 3}, "", true},
		{"imageworks-backend-vllm_v1.2.3-rc.1", "linux", "vllm", [3]int{1, 2, 3}, "rc.1", true},
		{"imageworks-backend-vllm.exe", "windows", "vllm", [3]int{}, "", true},
		{"Imageworks-Backend-VLLM.EXE", "windows", "vllm", [3]int{}, "", true},
		{"imageworks-backend-vllm_v1.2.3+build.7", "linux", "vllm", [3]int{1, 2, 3}, "", true},
		{"imageworks-backend-vllm_v1.2.3-rc.1+build.7", "linux", "vllm", [3]int{1, 2, 3}, "rc.1", true},
		{"imageworks-backend-vllm_v0.10.0.exe", "windows", "vllm", [3]int{0, 10, 0}, "", true},
		{"imageworks-backend-vllm", "windows", "", [3]int{}, "", false},
		{"imageworks-backend-vllm.exe", "linux", "", [3]int{}, "", false},
		{"imageworks-backend-", "linux", "", [3]int{}, "", false},
		{"imageworks-backend-VLLM", "linux", "", [3]int{}, "", false},
		{"imageworks-backend-vllm_1.2.3", "linux", "", [3]int{}, "", false},
		{"imageworks-backend-vllm_v1.2", "linux", "", [3]int{}, "", false},
		{"imageworks-backend-vllm.sh", "linux", "", [3]int{}, "", false},
		{"imageworks-backend--x", "linux", "", [3]int{}, "", false},
		{"imageworks-loader", "linux", "", [3]int{}, "", false},
		{"backend-vllm", "linux", "", [3]int{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.base, func(t *testing.T) {
			name, version, pre, ok := parseFileName(tt.base, tt.goos)
			if name != tt.name || version != tt.version || pre != tt.pre || ok != tt.ok {
				t.Errorf("parseFileName(%q, %q) = %q, %v, %q, %v; want %q, %v, %q, %v",
					tt.base, tt.goos, name, version, pre, ok, tt.name, tt.version, tt.pre, tt.ok)
			}
		})
	}
}

func TestSplitFileName(t *testing.T) {
	tests := []struct {
		base, goos    string
		name, version string
		ok            bool
	}{
		{"imageworks-backend-vllm", "linux", "vllm", "", true},
		{"imageworks-backend-llama-cpp_v0.10.0", "linux", "llama-cpp", "0.10.0", true},
		{"imageworks-backend-vllm_v1.2.3-rc.1+build.7", "linux", "vllm", "1.2.3-rc.1+build.7", true},
		{"Imageworks-Backend-VLLM_V1.2.3-RC.1.EXE", "windows", "vllm", "1.2.3-rc.1", true},
		{"imageworks-backend-vllm_v99999999999999999999.0.0", "linux", "", "", false},
		{"imageworks-backend-vllm_v1.2", "linux", "", "", false},
		{"imageworks-backend-vllm.exe", "linux", "", "", false},
		{"imageworks-backend-vllm", "windows", "", "", false},
		{"imageworks-backend-a_b", "linux", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.base, func(t *testing.T) {
			name, version, ok := splitFileName(tt.base, tt.goos)
			if name != tt.name || version != tt.version || ok != tt.ok {
				t.Errorf("splitFileName(%q, %q) = %q, %q, %v; want %q, %q, %v",
					tt.base, tt.goos, name, version, ok, tt.name, tt.version, tt.ok)
			}
		})
	}
}

// ParseFileName is the rule of this platform, applied to a path's last
// element.
func TestParseFileNameExported(t *testing.T) {
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	tests := []struct {
		file          string
		name, version string
		ok            bool
	}{
		{filepath.Join("some", "dir", "imageworks-backend-vllm"+exe), "vllm", "", true},
		{"imageworks-backend-ollama_v1.2.3" + exe, "ollama", "1.2.3", true},
		{filepath.Join("imageworks-backend-x", "imageworks-loader"+exe), "", "", false},
		{"imageworks-backend-" + exe, "", "", false},
		{"imageworks-backend-vllm.sh", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			name, version, ok := ParseFileName(tt.file)
			if name != tt.name || version != tt.version || ok != tt.ok {
				t.Errorf("ParseFileName(%q) = %q, %q, %v; want %q, %q, %v", tt.file, name, version, ok, tt.name, tt.version, tt.ok)
			}
		})
	}
}

// writeExec creates an executable (or, with mode 0o644, a plain) file.
func writeExec(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := safefile.WriteExecutable(p, strings.NewReader("#!/bin/sh\n"), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFindOrder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skipf("%s has no execute bits, which this test relies on", runtime.GOOS)
	}
	root := t.TempDir()
	flagA := filepath.Join(root, "flag-a")
	flagB := filepath.Join(root, "flag-b")
	envA := filepath.Join(root, "env-a")
	envB := filepath.Join(root, "env-b")
	exeDir := filepath.Join(root, "bin")
	home := filepath.Join(root, "home")
	xdg := filepath.Join(root, "xdg")
	for _, d := range []string{flagA, flagB, envA, envB, exeDir, home, xdg} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	homeDir := filepath.Join(home, ".local", "share", "imageworks", "plugins")
	xdgDir := filepath.Join(xdg, "imageworks", "plugins")

	// Each backend name is installed in the folders listed; the first one
	// must win.
	tests := []struct {
		name    string
		in      []string
		want    string
		xdgHome string
	}{
		{name: "a", in: []string{flagA, flagB, envA, exeDir, xdgDir}, want: flagA, xdgHome: xdg},
		{name: "b", in: []string{flagB, envA, exeDir}, want: flagB, xdgHome: xdg},
		{name: "c", in: []string{envB, envA, exeDir, xdgDir}, want: envA, xdgHome: xdg},
		{name: "d", in: []string{envB, exeDir, xdgDir}, want: envB, xdgHome: xdg},
		{name: "e", in: []string{exeDir, xdgDir}, want: exeDir, xdgHome: xdg},
		{name: "f", in: []string{xdgDir, homeDir}, want: xdgDir, xdgHome: xdg},
		{name: "g", in: []string{homeDir}, want: homeDir, xdgHome: ""},
		// A relative XDG_DATA_HOME is ignored (XDG spec): HOME's folder.
		{name: "h", in: []string{homeDir}, want: homeDir, xdgHome: "relative/xdg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, d := range tt.in {
				writeExec(t, d, ExecutablePrefix+tt.name, 0o755)
			}
			env := testEnv{
				EnvPluginPath:   strings.Join([]string{envA, "", "relative/dir", envB}, string(os.PathListSeparator)),
				"HOME":          home,
				"XDG_DATA_HOME": tt.xdgHome,
			}
			h := New(Options{Dirs: []string{flagA, flagB}, Getenv: env.getenv, ExecutableDir: exeDir})
			got, err := h.Find(context.Background(), tt.name)
			want := filepath.Join(tt.want, ExecutablePrefix+tt.name)
			if err != nil || got != want {
				t.Errorf("Find(%q) = %q, %v; want %q", tt.name, got, err, want)
			}
		})
	}

	h := New(Options{Dirs: []string{flagA, flagB}, Getenv: testEnv{EnvPluginPath: envA + string(os.PathListSeparator) + envB, "HOME": home}.getenv, ExecutableDir: exeDir})
	wantDirs := []string{flagA, flagB, envA, envB, exeDir, homeDir}
	if got := h.searchDirs(); strings.Join(got, ",") != strings.Join(wantDirs, ",") {
		t.Errorf("searchDirs() = %q, want %q", got, wantDirs)
	}
}

func TestFindNeverSearchesWorkingDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skipf("%s has no execute bits, which this test relies on", runtime.GOOS)
	}
	wd := t.TempDir()
	writeExec(t, wd, ExecutablePrefix+"vllm", 0o755)
	writeExec(t, filepath.Join(wd, "rel"), ExecutablePrefix+"vllm", 0o755)
	t.Chdir(wd)
	// Neither an empty nor a relative IMAGEWORKS_PLUGIN_PATH entry may
	// stand for the working directory.
	env := testEnv{EnvPluginPath: ":rel:.", "HOME": t.TempDir()}
	h := New(Options{Getenv: env.getenv, ExecutableDir: t.TempDir()})
	if got, err := h.Find(context.Background(), "vllm"); !errors.Is(err, ErrPluginNotFound) {
		t.Errorf("Find(vllm) = %q, %v; want ErrPluginNotFound", got, err)
	}
}

func TestFindOnlyExecutableFiles(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skipf("%s has no execute bits, which this test relies on", runtime.GOOS)
	}
	dir := t.TempDir()
	writeExec(t, dir, ExecutablePrefix+"plain", 0o644)
	if err := os.Mkdir(filepath.Join(dir, ExecutablePrefix+"folder"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := writeExec(t, t.TempDir(), "real-binary", 0o755)
	if err := os.Symlink(target, filepath.Join(dir, ExecutablePrefix+"linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, ExecutablePrefix+"dangling")); err != nil {
		t.Fatal(err)
	}
	writeExec(t, dir, ExecutablePrefix+"multi_v1.2.0", 0o755)
	writeExec(t, dir, ExecutablePrefix+"multi_v1.10.0", 0o755)
	writeExec(t, dir, ExecutablePrefix+"multi_v1.10.0-rc.1", 0o755)
	writeExec(t, dir, ExecutablePrefix+"multi", 0o755)

	tests := []struct {
		name string
		want string // "" = not found
	}{
		{"plain", ""},
		{"folder", ""},
		{"linked", filepath.Join(dir, ExecutablePrefix+"linked")},
		{"dangling", ""},
		{"multi", filepath.Join(dir, ExecutablePrefix+"multi_v1.10.0")},
		{"../etc", ""},
	}
	h := New(Options{Dirs: []string{dir}, Getenv: testEnv{}.getenv, ExecutableDir: t.TempDir()})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Find(context.Background(), tt.name)
			if tt.want == "" {
				if !errors.Is(err, ErrPluginNotFound) {
					t.Errorf("Find(%q) = %q, %v; want ErrPluginNotFound", tt.name, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Find(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		})
	}
}

func TestNotFoundErrorNamesEverything(t *testing.T) {
	a, b, exe := t.TempDir(), filepath.Join(t.TempDir(), "missing"), t.TempDir()
	h := New(Options{Dirs: []string{a}, Getenv: testEnv{EnvPluginPath: b, "XDG_DATA_HOME": "/xdg"}.getenv, ExecutableDir: exe})
	_, err := h.Find(context.Background(), "vllm")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrPluginNotFound) {
		t.Fatalf("Find(vllm) error = %v, want a *NotFoundError matching ErrPluginNotFound", err)
	}
	msg := err.Error()
	for _, want := range []string{"imageworks-backend-vllm", a, b, exe, filepath.Join("/xdg", "imageworks", "plugins")} {
		if !strings.Contains(msg, want) {
			t.Errorf("Find(vllm) error = %q, want it to name %q", msg, want)
		}
	}
}

// TestNames: every installed backend once, sorted, from every folder;
// files that are no plugin executables are left out; a bad environment
// variable is the error Backend gives.
func TestNames(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skipf("%s has no execute bits, which this test relies on", runtime.GOOS)
	}
	a, b := t.TempDir(), t.TempDir()
	writeExec(t, a, ExecutablePrefix+"zeta", 0o755)
	writeExec(t, a, ExecutablePrefix+"alpha_v1.0.0", 0o755)
	writeExec(t, b, ExecutablePrefix+"alpha", 0o755)
	writeExec(t, b, ExecutablePrefix+"plain", 0o644)
	writeExec(t, b, "imageworks-loader", 0o755)
	h := New(Options{Dirs: []string{a, b}, Getenv: testEnv{}.getenv, ExecutableDir: t.TempDir()})
	got, err := h.Names(context.Background())
	if err != nil || strings.Join(got, ",") != "alpha,zeta" {
		t.Errorf("Names() = %q, %v; want [alpha zeta]", got, err)
	}
	bad := New(Options{Getenv: testEnv{EnvReattach: "{not json"}.getenv, ExecutableDir: t.TempDir()})
	if _, err := bad.Names(context.Background()); err == nil || !strings.Contains(err.Error(), EnvReattach) {
		t.Errorf("Names() with a bad %s error = %v, want one naming it", EnvReattach, err)
	}
}
