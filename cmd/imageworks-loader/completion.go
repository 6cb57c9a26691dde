package main

import (
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/posener/complete"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// completionTimeout bounds the registry read behind one tab press.
const completionTimeout = 2 * time.Second

// completer answers a shell's completion request with names from the
// registry the command line names (--registry-dir, --registry-file,
// --plugin-dir, else IMAGEWORKS_REGISTRY_DIR or ./configs): models, roles,
// capabilities and backends. The registry is opened read-only on first
// use; any failure completes nothing rather than print an error into the
// user's command line.
type completer struct {
	env    Env
	loader *core.Loader
	tried  bool
}

// predictors are the predictors the commands' `predictor:"..."` tags name.
func (c *completer) predictors() map[string]complete.Predictor {
	return map[string]complete.Predictor{
		"model":      complete.PredictFunc(c.models),
		"role":       complete.PredictFunc(c.roles),
		"capability": complete.PredictFunc(c.capabilities),
		"backend":    complete.PredictFunc(c.backends),
	}
}

// close stops whatever the loader started (nothing, normally).
func (c *completer) close() {
	if c.loader != nil {
		_ = c.loader.Close()
	}
}

// open returns the registry's loader, or nil when it cannot be opened.
func (c *completer) open(ctx context.Context, args []string) *core.Loader {
	if c.tried {
		return c.loader
	}
	c.tried = true
	opts := core.Options{
		RegistryDir: c.env.Getenv("IMAGEWORKS_REGISTRY_DIR"),
		Getenv:      c.env.Getenv,
		ReadOnly:    true,
		// Both layers as they are: a legacy file is split by a real run.
	}
	if opts.RegistryDir == "" {
		opts.RegistryDir = "./configs"
	}
	for i := 0; i < len(args); i++ {
		name, val, ok := strings.Cut(args[i], "=")
		if !ok && i+1 < len(args) {
			val = args[i+1]
		}
		switch name {
		case "--registry-dir":
			opts.RegistryDir = val
		case "--registry-file":
			opts.RegistryFile = val
		case "--plugin-dir":
			opts.PluginDirs = append(opts.PluginDirs, val)
		default:
			continue
		}
		if !ok {
			i++
		}
	}
	l, err := core.Open(ctx, opts)
	if err != nil {
		return nil
	}
	c.loader = l
	return l
}

// entries are the registry's entries for the command line being
// completed. The whole line is read (COMP_LINE): the global flags may
// come before the command, whose predictors see only the words after it.
func (c *completer) entries(complete.Args) []*registry.Entry {
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	l := c.open(ctx, strings.Fields(c.env.Getenv("COMP_LINE")))
	if l == nil {
		return nil
	}
	return l.Entries(ctx)
}

// models are the entries' names, deprecated ones included (select and
// verify find them), sorted.
func (c *completer) models(a complete.Args) []string {
	var out []string
	for _, e := range c.entries(a) {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// roles are the known roles and every role an entry lists, sorted.
func (c *completer) roles(a complete.Args) []string {
	set := map[string]bool{}
	for _, r := range core.KnownRoles() {
		set[r] = true
	}
	for _, e := range c.entries(a) {
		for _, r := range e.Roles() {
			if r = strings.TrimSpace(r); r != "" && !strings.ContainsAny(r, " \t") {
				set[r] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// capabilities are the canonical capabilities (a synonym works too, but
// offering all of them would bury these).
func (c *completer) capabilities(complete.Args) []string {
	return registry.CanonicalCapabilities()
}

// backends are the bundled backends, the installed plugins and every
// backend an entry uses, sorted.
func (c *completer) backends(a complete.Args) []string {
	set := map[string]bool{}
	for _, b := range core.BundledBackends() {
		set[b] = true
	}
	for _, e := range c.entries(a) {
		if b := e.Backend(); b != "" {
			set[b] = true
		}
	}
	if c.loader != nil {
		ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
		defer cancel()
		if names, err := c.loader.KnownBackends(ctx); err == nil {
			for _, n := range names {
				set[n] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}
