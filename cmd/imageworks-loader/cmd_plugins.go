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
		if len(ps) == 0 {
			row(w, "none found")
			return
		}
		pluginsTable(w, ps)
	}); err != nil {
		return err
	}
	return pluginProblems(ps)
}

// pluginsTable writes one short row per plugin (hash shortened, status
// one word), then, below the rows, each plugin's problem, notes,
// description and calls, wrapped: the rows stay within a terminal's width
// whatever those say. JSON carries them all whole.
func pluginsTable(w io.Writer, ps []pluginhost.Plugin) {
	row(w, "NAME", "VERSION", "PROTOCOLS", "SHA256", "STATUS", "PATH")
	for _, p := range ps {
		path := p.Path
		if p.Attached {
			path = "(attached)"
		}
		row(w, p.Name, p.Version, fmt.Sprint(p.Protocols), shortHash(p.SHA256), pluginStatus(p), path)
	}
	first := true
	for _, p := range ps {
		var texts []string
		if p.Problem != "" {
			texts = append(texts, "problem: "+p.Problem)
		}
		for _, n := range p.Notes {
			texts = append(texts, "note: "+n)
		}
		if p.Description != "" {
			texts = append(texts, p.Description)
		}
		if len(p.Implements) > 0 {
			texts = append(texts, "implements "+strings.Join(p.Implements, ", "))
		}
		if len(texts) == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		details(w, p.Name, texts...)
	}
}

// pluginStatus is a plugin's state in one word: ok, shadowed (another of
// its name is used) or problem (named below the table).
func pluginStatus(p pluginhost.Plugin) string {
	switch {
	case p.Shadowed:
		return "shadowed"
	case p.Problem != "":
		return "problem"
	}
	return "ok"
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
