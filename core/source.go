package core

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
)

// BackendSource is where the backends that serve entries come from: the
// plugin host (the default), backends in this process (InProcess), a pool
// of warm plugins in a server, a remote host. Set one as Options.Source;
// nothing in core changes to add one.
//
// Backend returns the backend called name (an entry's "backend" value). It
// must be safe for concurrent use and honour ctx. A source that has no
// backend of that name returns an error wrapping ErrUnknownBackend (the
// plugin host's pluginhost.ErrPluginNotFound counts as the same), so that
// FirstOf can ask the next one.
type BackendSource interface {
	Backend(ctx context.Context, name string) (sdk.Backend, error)
}

// ErrUnknownBackend is wrapped by BackendSource errors meaning "no backend
// of that name here".
var ErrUnknownBackend = errors.New("unknown backend")

// unknownBackend reports whether err says a source has no such backend.
func unknownBackend(err error) bool {
	return errors.Is(err, ErrUnknownBackend) || errors.Is(err, pluginhost.ErrPluginNotFound)
}

// InProcess is a BackendSource of backends running in this process, keyed
// by backend name. An unknown name gives an error wrapping
// ErrUnknownBackend.
type InProcess map[string]sdk.Backend

// Backend returns the backend registered as name.
func (m InProcess) Backend(_ context.Context, name string) (sdk.Backend, error) {
	if b, ok := m[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("backend %q: %w", name, ErrUnknownBackend)
}

// FirstOf returns a BackendSource that asks each of srcs in order and
// answers with the first that has the backend; when none has it, the last
// one's error is returned. Any other error stops the search.
func FirstOf(srcs ...BackendSource) BackendSource { return firstOf(slices.Clone(srcs)) }

type firstOf []BackendSource

func (f firstOf) Backend(ctx context.Context, name string) (sdk.Backend, error) {
	err := fmt.Errorf("backend %q: %w", name, ErrUnknownBackend)
	for _, s := range f {
		var b sdk.Backend
		b, err = s.Backend(ctx, name)
		if err == nil || !unknownBackend(err) {
			return b, err
		}
	}
	return nil, err
}

// PluginHostOptions returns the options of the plugin host a Loader opened
// with opts uses by default: its plugin folders, environment, logger and
// the plugins.lock.json beside the registry. A BackendSource that starts
// plugins itself (a server's warm pool) builds its hosts from them, so it
// finds and trusts exactly the plugins the CLI would.
func PluginHostOptions(opts Options) pluginhost.Options {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = defaultGetenv
	}
	log := opts.Logger
	if log != nil {
		log = log.Named("plugins")
	}
	return pluginhost.Options{
		Dirs:          slices.Clone(opts.PluginDirs),
		Getenv:        getenv,
		ExecutableDir: opts.ExecutableDir,
		PinFile:       pluginPinPath(opts),
		Logger:        log,
	}
}
