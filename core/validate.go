package core

import (
	"context"
	"maps"
	"slices"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
)

// Validate checks the registry opts names strictly, reading it and
// writing nothing: opts.RegistryFile as single-file mode reads it
// (registry.ValidateFileWith), else the layered directory opts.RegistryDir
// (registry.ValidateWith), the same choice Open makes. Besides the errors
// it warns (registry.SeverityWarning) about capability keys no synonym
// knows, roles outside KnownRoles, and backends that are neither bundled
// (BundledBackends), nor in opts.Backends, nor installed as a plugin on the
// search path opts gives (PluginDirs, Getenv, ExecutableDir); with a
// caller's opts.Source, which cannot be listed, backends are not checked.
// Nothing is started. Problems come back sorted; the error is for I/O
// failures, a bad plugin environment variable, and the registry errors
// those functions name (registry.ErrNoRegistry, ...).
func Validate(ctx context.Context, opts Options) ([]registry.Problem, error) {
	vo := registry.ValidateOptions{KnownRoles: KnownRoles()}
	if opts.Source == nil {
		installed, err := pluginhost.New(PluginHostOptions(opts)).Names(ctx)
		if err != nil {
			return nil, err
		}
		set := slices.Concat(BundledBackends(), installed, slices.Collect(maps.Keys(opts.Backends)))
		slices.Sort(set)
		vo.KnownBackends = slices.Compact(set)
	}
	if opts.RegistryFile != "" {
		return registry.ValidateFileWith(ctx, opts.RegistryFile, vo)
	}
	return registry.ValidateWith(ctx, opts.registryDir(), vo)
}

// registryDir is the layered registry directory opts names, or the
// default. It is meaningless in single-file mode.
func (o Options) registryDir() string {
	if o.RegistryDir == "" {
		return defaultRegistryDir
	}
	return o.RegistryDir
}
