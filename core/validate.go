package core

import (
	"context"

	"github.com/imageworks-ai/loader/core/registry"
)

// Validate checks the registry opts names strictly, reading it and
// writing nothing: opts.RegistryFile as single-file mode reads it
// (registry.ValidateFile), else the layered directory opts.RegistryDir
// (registry.Validate), the same choice Open makes. Only those two fields
// of opts are used. Problems come back sorted; the error is for I/O
// failures and the registry errors those functions name
// (registry.ErrNoRegistry, ...).
func Validate(ctx context.Context, opts Options) ([]registry.Problem, error) {
	if opts.RegistryFile != "" {
		return registry.ValidateFile(ctx, opts.RegistryFile)
	}
	return registry.Validate(ctx, opts.registryDir())
}

// registryDir is the layered registry directory opts names, or the
// default. It is meaningless in single-file mode.
func (o Options) registryDir() string {
	if o.RegistryDir == "" {
		return defaultRegistryDir
	}
	return o.RegistryDir
}
