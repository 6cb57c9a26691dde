package pluginhost

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// ExecutablePrefix starts the file name of every backend plugin:
// imageworks-backend-NAME, optionally followed by _vX.Y.Z and, on Windows,
// .exe. ParseFileName applies the whole rule.
const ExecutablePrefix = "imageworks-backend-"

// Environment variables the Host reads (through Options.Getenv).
const (
	// EnvPluginPath lists folders searched for plugins after
	// Options.Dirs, separated as PATH is; relative entries are ignored.
	EnvPluginPath = "IMAGEWORKS_PLUGIN_PATH"
	// EnvStartTimeout bounds a plugin's start when Options.StartTimeout is
	// 0: a Go duration ("1500ms") or a number of seconds ("2.5").
	EnvStartTimeout = "IMAGEWORKS_PLUGIN_START_TIMEOUT"
	// EnvReattach attaches backends to plugins a developer started with
	// --debug: a JSON object from backend name to what the plugin printed.
	EnvReattach = "IMAGEWORKS_REATTACH_BACKENDS"
	// EnvMTLS, when 1, true, yes or on, makes plugins use mutual TLS
	// (always on Windows, where plugins listen on TCP).
	EnvMTLS = "IMAGEWORKS_PLUGIN_MTLS"
)

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	versionRE = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)
)

// candidate is one executable found for a backend name.
type candidate struct {
	name    string
	path    string
	version [3]int
	pre     string // prerelease, "" for a release
	dirRank int    // index of the folder in the search order
}

// validName reports whether name can be a backend name: lowercase letters
// and digits in hyphen-separated words.
func validName(name string) bool { return nameRE.MatchString(name) }

// ParseFileName applies the plugin file-name rule of this platform
// (runtime.GOOS) to the last element of file, a file name or path:
// imageworks-backend-NAME, optionally followed by _vX.Y.Z (semver: a
// -prerelease and +build metadata may follow) and, on Windows, .exe, which
// is then required. NAME is lowercase letters and digits in words joined by
// hyphens. On Windows, where file names are case-insensitive, case is
// ignored and name and version come back in lowercase.
//
// It returns NAME and the version as written without the leading v
// ("1.2.3-rc.1+build.7"), "" when the file name has none; ok is false for a
// file name that is not a plugin's. The Host discovers plugins by this rule.
func ParseFileName(file string) (name, version string, ok bool) {
	return splitFileName(filepath.Base(file), runtime.GOOS)
}

// splitFileName splits a file name imageworks-backend-NAME[_vX.Y.Z][.exe]
// for goos into NAME and the version after "_v" ("" for none); see
// ParseFileName.
func splitFileName(base, goos string) (name, version string, ok bool) {
	if goos == "windows" {
		base = strings.ToLower(base)
	}
	rest, found := strings.CutPrefix(base, ExecutablePrefix)
	if !found {
		return "", "", false
	}
	if goos == "windows" {
		if rest, found = strings.CutSuffix(rest, ".exe"); !found {
			return "", "", false
		}
	}
	name, ver, versioned := strings.Cut(rest, "_")
	if !validName(name) {
		return "", "", false
	}
	if versioned {
		if _, _, ok := parseVersion(ver); !ok {
			return "", "", false
		}
		version = ver[1:]
	}
	return name, version, true
}

// parseFileName splits a file name as splitFileName does and parses the
// version for precedence.
func parseFileName(base string, goos string) (name string, version [3]int, pre string, ok bool) {
	name, ver, ok := splitFileName(base, goos)
	if !ok {
		return "", version, "", false
	}
	if ver == "" {
		return name, version, "", true
	}
	version, pre, _ = parseVersion("v" + ver)
	return name, version, pre, true
}

// parseVersion parses vX.Y.Z[-prerelease][+build] into major, minor, patch
// and the prerelease (build metadata is ignored). ok is false for anything
// else, numbers too large for an int included.
func parseVersion(v string) (num [3]int, pre string, ok bool) {
	m := versionRE.FindStringSubmatch(v)
	if m == nil {
		return num, "", false
	}
	for i := range 3 {
		n, err := strconv.Atoi(m[i+1])
		if err != nil {
			return [3]int{}, "", false
		}
		num[i] = n
	}
	return num, m[4], true
}

// compareCandidates orders candidates by precedence: earlier folder first,
// then higher version first (a release above its prereleases, an
// unversioned file below every versioned one), then path.
func compareCandidates(a, b candidate) int {
	if c := cmp.Compare(a.dirRank, b.dirRank); c != 0 {
		return c
	}
	for i := range 3 {
		if c := cmp.Compare(b.version[i], a.version[i]); c != 0 {
			return c
		}
	}
	switch {
	case a.pre == b.pre:
	case a.pre == "":
		return -1
	case b.pre == "":
		return 1
	default:
		if c := cmp.Compare(b.pre, a.pre); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.path, b.path)
}

// searchDirs returns the folders to search, in order, absolute, cleaned and
// without duplicates: opts.Dirs, IMAGEWORKS_PLUGIN_PATH (relative entries
// are skipped, so the working directory is never searched implicitly), the
// executable's folder, and the XDG data folder.
func (h *Host) searchDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" {
			return
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return
		}
		if !seen[abs] {
			seen[abs] = true
			dirs = append(dirs, abs)
		}
	}
	for _, d := range h.opts.Dirs {
		add(d) // given explicitly, so a relative folder is the user's choice
	}
	for _, d := range filepath.SplitList(h.getenv(EnvPluginPath)) {
		if filepath.IsAbs(d) {
			add(d)
		} else if d != "" {
			h.logger.Warn("ignoring relative folder in "+EnvPluginPath, "folder", d)
		}
	}
	add(h.executableDir())
	add(dataPluginDir(h.getenv))
	return dirs
}

// executableDir returns Options.ExecutableDir or the folder of the running
// executable (symlinks resolved).
func (h *Host) executableDir() string {
	if h.opts.ExecutableDir != "" {
		return h.opts.ExecutableDir
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(exe); err == nil {
		exe = real
	}
	return filepath.Dir(exe)
}

// dataPluginDir returns $XDG_DATA_HOME/imageworks/plugins, or
// $HOME/.local/share/imageworks/plugins when XDG_DATA_HOME is unset or
// relative (the XDG spec says to ignore relative values), or "".
func dataPluginDir(getenv func(string) string) string {
	if x := getenv("XDG_DATA_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "imageworks", "plugins")
	}
	home := getenv("HOME")
	if home == "" && runtime.GOOS == "windows" {
		home = getenv("USERPROFILE")
	}
	if !filepath.IsAbs(home) {
		return ""
	}
	return filepath.Join(home, ".local", "share", "imageworks", "plugins")
}

// discover lists every plugin executable in dirs, sorted by name and then
// precedence (the first of each name is the one used). A missing or
// unreadable folder is skipped. It stops with ctx's error when ctx is done
// before a folder is read.
func discover(ctx context.Context, dirs []string, goos string) ([]candidate, error) {
	var out []candidate
	for rank, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name, version, pre, ok := parseFileName(e.Name(), goos)
			if !ok {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if !isExecutableFile(path, goos) {
				continue
			}
			out = append(out, candidate{name: name, path: path, version: version, pre: pre, dirRank: rank})
		}
	}
	slices.SortFunc(out, func(a, b candidate) int {
		if c := cmp.Compare(a.name, b.name); c != 0 {
			return c
		}
		return compareCandidates(a, b)
	})
	return out, nil
}

// isExecutableFile reports whether path (symlinks followed) is a regular
// file that can be executed: any execute bit on Unix, the .exe suffix on
// Windows.
func isExecutableFile(path, goos string) bool {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	if goos == "windows" {
		return strings.HasSuffix(strings.ToLower(path), ".exe")
	}
	return fi.Mode().Perm()&0o111 != 0
}

// Find returns the path of the executable serving backend name: the first
// match in search order (within one folder the highest _vX.Y.Z wins). The
// error is a *NotFoundError (errors.Is ErrPluginNotFound) naming
// imageworks-backend-NAME and every folder looked in, or ctx's error
// (wrapped, naming the plugin) when ctx is done before the search ends.
// Find does not check plugins.lock.json and starts nothing.
func (h *Host) Find(ctx context.Context, name string) (string, error) {
	dirs := h.searchDirs()
	exe := ExecutablePrefix + name
	if h.goos == "windows" {
		exe += ".exe"
	}
	if !validName(name) {
		return "", &NotFoundError{Name: name, Executable: exe, Searched: dirs,
			Reason: "a backend name is lowercase letters and digits, in words joined by hyphens"}
	}
	cands, err := discover(ctx, dirs, h.goos)
	if err != nil {
		return "", fmt.Errorf("finding plugin %s: %w", exe, err)
	}
	for _, c := range cands {
		if c.name == name {
			return c.path, nil
		}
	}
	return "", &NotFoundError{Name: name, Executable: exe, Searched: dirs}
}

// Names returns the name of every backend a plugin is installed for: the
// plugins attached through IMAGEWORKS_REATTACH_BACKENDS and the
// executables on the search path, sorted, each once. It starts, hashes and
// trusts nothing, so it is cheap enough for suggestions and completion.
// Errors: a bad environment variable (as Backend and List report it), or
// ctx's error.
func (h *Host) Names(ctx context.Context) ([]string, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	cands, err := discover(ctx, h.searchDirs(), h.goos)
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Keys(h.reattach))
	for _, c := range cands {
		out = append(out, c.name)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
