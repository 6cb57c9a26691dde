package core

import (
	"cmp"
	"context"
	"slices"

	"github.com/imageworks-ai/loader/sdk"
)

// secretCache is the registry's credentials as of one generation.
type secretCache struct {
	gen     uint64
	secrets []sdk.Secret
}

// Secrets returns the credentials the registry's entries carry or name,
// for scrubbing what is printed or logged (sdk.RedactSecrets): the value
// of each entry's api_key_env variable, the values of secret flags in its
// extra_args (sdk.SecretArgs) and the credentials in its base_url and host
// (sdk.URLSecrets). They are without duplicates, longest first.
//
// Layers changed on disk are re-read first, so a key added to the
// registry while the Loader is open is there on the next call; while the
// registry stays as it is, the answer is kept and a call costs a look at
// the layers' sizes and times. The result must not be modified.
func (l *Loader) Secrets(ctx context.Context) []sdk.Secret {
	gen := l.reg.Generation(ctx)
	if c := l.secrets.Load(); c != nil && c.gen == gen {
		return c.secrets
	}
	var out []sdk.Secret
	for _, e := range l.reg.Entries(ctx) {
		bc := e.BackendConfig()
		if k := l.apiKey(e); k != "" {
			out = append(out, k)
		}
		out = append(out, sdk.SecretArgs(bc.ExtraArgs)...)
		out = append(out, sdk.URLSecrets(bc.BaseURL)...)
		out = append(out, sdk.URLSecrets(bc.Host)...)
	}
	slices.SortFunc(out, func(a, b sdk.Secret) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a, b))
	})
	out = slices.Compact(out)
	l.secrets.Store(&secretCache{gen: gen, secrets: out})
	return out
}
