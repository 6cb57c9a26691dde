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
	live []sdk.Secret // the serving registry's credentials as last seen (setLive)
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

// addRegistry records the credentials of every entry of l's registry
// (core.Loader.Secrets: api_key_env values, secret flags' values in
// extra_args, URL credentials).
func (k *knownSecrets) addRegistry(ctx context.Context, l *core.Loader) {
	k.add(l.Secrets(ctx)...)
}

// setLive replaces the credentials of a registry that may change while the
// process runs (serve's), as core.Loader.Secrets lists them now. Unlike
// add it forgets the previous list, and it costs no search: serve calls it
// on every request.
func (k *knownSecrets) setLive(secrets []sdk.Secret) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.live = secrets
}

// redact is sdk.RedactText with the known keys; safe on a nil receiver.
func (k *knownSecrets) redact(s string) string {
	if k == nil {
		return sdk.RedactText(s)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.live) == 0 {
		return sdk.RedactText(s, k.keys...)
	}
	return sdk.RedactText(s, append(slices.Clip(k.keys), k.live...)...)
}
