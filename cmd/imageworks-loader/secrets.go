package main

import (
	"context"
	"slices"
	"sync"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/sdk"
)

// knownSecrets are the API keys the CLI has read (from the variables the
// registry's api_key_env fields and --api-key-env name). Every diagnostic
// line is scrubbed of them on its way to stderr, whatever a plugin or a
// server put in it: the last line of defence after the host's own scrub.
type knownSecrets struct {
	getenv func(string) string // reads the variables named (nil: none)

	mu   sync.Mutex
	keys []sdk.Secret
}

// add records a key; empty ones are ignored.
func (k *knownSecrets) add(keys ...sdk.Secret) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range keys {
		if s != "" && !slices.Contains(k.keys, s) {
			k.keys = append(k.keys, s)
		}
	}
}

// addVar records the key held by the environment variable name, if any.
func (k *knownSecrets) addVar(name string) {
	if name != "" && k.getenv != nil {
		k.add(sdk.Secret(k.getenv(name)))
	}
}

// addRegistry records the keys of every entry of l's registry.
func (k *knownSecrets) addRegistry(ctx context.Context, l *core.Loader) {
	for _, e := range l.Registry().Entries(ctx) {
		k.addVar(e.BackendConfig().APIKeyEnv)
	}
}

// redact is sdk.RedactText with the known keys; safe on a nil receiver.
func (k *knownSecrets) redact(s string) string {
	if k == nil {
		return sdk.RedactText(s)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return sdk.RedactText(s, k.keys...)
}
