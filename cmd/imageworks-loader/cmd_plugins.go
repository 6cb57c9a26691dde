package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/pluginhost"
)

// PluginsCmd is `plugins [list]` and `plugins lock`.
type PluginsCmd struct {
	List PluginsListCmd `cmd:"" default:"1" help:"List the plugins found (the default)."`
	Lock PluginsLockCmd `cmd:"" help:"Pin every plugin's SHA-256 in plugins.lock.json beside the registry."`
}

// PluginsListCmd is `plugins list`.
type PluginsListCmd struct{}

// Run lists the plugins found, each started once to ask what it is.
func (c *PluginsListCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	ps, err := l.Plugins(ctx)
	if err != nil {
		return err
	}
	if err := a.emit(ps, func(w io.Writer) {
		row(w, "NAME", "VERSION", "PROTOCOLS", "IMPLEMENTS", "DESCRIPTION", "PATH", "SHA256", "PROBLEM", "NOTES")
		for _, p := range ps {
			row(w, p.Name, p.Version, fmt.Sprint(p.Protocols), strings.Join(p.Implements, ","), p.Description, p.Path, p.SHA256, p.Problem, strings.Join(p.Notes, "; "))
		}
		if len(ps) == 0 {
			row(w, "none found")
		}
	}); err != nil {
		return err
	}
	return pluginProblems(ps)
}

// pluginProblems ends `plugins list` with exit 3 naming every plugin in
// use that cannot be used (a shadowed one is not in use).
func pluginProblems(ps []pluginhost.Plugin) error {
	var problems []string
	for _, p := range ps {
		if p.Problem != "" && !p.Shadowed {
			problems = append(problems, fmt.Sprintf("plugin %s: %s", p.Name, p.Problem))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &statusError{msg: strings.Join(problems, "; "), code: exitPlugin}
}

// PluginsLockCmd is `plugins lock`.
type PluginsLockCmd struct{}

type lockWritten struct {
	LockFile string `json:"lock_file"`
}

// Run writes the plugin lock file.
func (c *PluginsLockCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	path, err := l.PinPlugins(ctx)
	if err != nil {
		return err
	}
	return a.emit(lockWritten{LockFile: path}, func(w io.Writer) {
		row(w, "LOCK_FILE")
		row(w, path)
	})
}
