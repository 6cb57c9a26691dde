package core

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// ImportOptions refine Import.
type ImportOptions struct {
	// Endpoint is the server's base URL; empty means the backend's default
	// on localhost.
	Endpoint string
	// DryRun reports what would be added without writing.
	DryRun bool
	// APIKey is sent to the server, when it needs one. It never prints.
	// Empty means the value of the variable APIKeyEnv names, read through
	// Options.Getenv.
	APIKey sdk.Secret
	// APIKeyEnv names the environment variable that holds APIKey; it is
	// recorded as backend_config.api_key_env of every imported entry, so
	// they reach the server later. The key itself is never stored.
	APIKeyEnv string
	// Warn, when set, receives one line for every served model Import
	// skips because its id cannot be a registry name (control characters,
	// invalid UTF-8), with the id quoted.
	Warn func(msg string)
}

// Imported is one entry Import added (or would add).
type Imported struct {
	Name          string `json:"name"`
	Backend       string `json:"backend"`
	ServedModelID string `json:"served_model_id"`
	// Endpoint is the server's base URL with its credentials redacted
	// (sdk.RedactURL), as stored in the record.
	Endpoint string `json:"endpoint"`
	// Record is the JSON record written to the discovered layer.
	Record json.RawMessage `json:"record"`
}

// Import adds to the discovered layer an entry for every model the server
// serves that the registry lacks. A served model is already there when an
// entry of the same backend has its id or one of its aliases (the backend
// says which ids name the same model) as served_model_id, name or one of
// its model_aliases, so a second run adds nothing. Records carry the
// backend's model_path, the model's other names as model_aliases and
// opts.APIKeyEnv, never the key; the endpoint is stored redacted
// (sdk.RedactURL), so a password or key in it is never written.
//
// Ids are taken as served with surrounding spaces trimmed; an id with a
// control character or invalid UTF-8 is skipped (see ImportOptions.Warn),
// so the registry always passes validation afterwards. The work is linear
// in the number of served models and registered entries, and stops soon
// after ctx ends. Errors: an *UnknownBackendError (ErrUnknownBackend, with
// the names close to it) when backend is no backend the Loader knows of
// (not bundled, no plugin installed, no entry using it); the plugin host's
// error when it is one but its plugin is missing or broken; the backend's
// (ListModels), the save's, or ctx's.
func (l *Loader) Import(ctx context.Context, backend string, opts ImportOptions) ([]Imported, error) {
	b, err := l.namedBackend(ctx, backend)
	if err != nil {
		return nil, err
	}
	if opts.APIKey == "" && opts.APIKeyEnv != "" {
		opts.APIKey = sdk.Secret(l.opts.Getenv(opts.APIKeyEnv))
	}
	endpoint := opts.Endpoint
	if endpoint == "" {
		res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "import", Backend: backend}})
		if err != nil {
			return nil, fmt.Errorf("default endpoint of backend %q: %w", backend, err)
		}
		endpoint = res.Endpoint
	}
	endpoint = importEndpoint(endpoint)
	shown := sdk.RedactURL(endpoint)
	models, err := callListModels(ctx, b, backend, sdk.ListModelsRequest{Endpoint: endpoint, APIKey: opts.APIKey})
	if err != nil {
		return nil, fmt.Errorf("listing models of %s%s: %w", backend, atServer(err, shown), err)
	}
	secrets := append(sdk.URLSecrets(endpoint), opts.APIKey)
	out, recs, err := planImport(ctx, l.reg.Entries(ctx), models, importTarget{
		backend: backend, endpoint: shown, apiKeyEnv: opts.APIKeyEnv, secrets: secrets, warn: opts.Warn,
	})
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 && !opts.DryRun {
		if err := l.reg.AddAll(ctx, recs); err != nil {
			return nil, err
		}
		if err := l.reg.Save(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ctxCheckEvery is how many items a long loop handles between checks of
// its context.
const ctxCheckEvery = 256

// importTarget is what an import's records say about where the models
// come from.
type importTarget struct {
	backend   string
	endpoint  string // redacted
	apiKeyEnv string
	secrets   []sdk.Secret // scrubbed from every stored field
	warn      func(string)
}

// planImport is Import without its I/O: from the registry's entries and a
// server's listing it picks the models no entry of the backend covers,
// names them (the id, or "ID (2)", ... when an entry of another backend
// has that name) and encodes their records. One pass over the entries and
// one over the models, each name looked up in a map.
func planImport(ctx context.Context, entries []*registry.Entry, models []sdk.ServedModel, t importTarget) ([]Imported, []json.RawMessage, error) {
	models, err := cleanListing(ctx, models, t.secrets, t.warn)
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	names := map[string]bool{}
	for i, e := range entries {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		names[e.Name()] = true
		if e.Backend() == t.backend {
			known[e.ServedModelID()] = true
			known[e.Name()] = true
			for _, a := range e.StoredAliases() {
				known[a] = true
			}
		}
	}
	isKnown := func(m sdk.ServedModel) bool {
		if known[m.ID] {
			return true
		}
		for _, a := range m.Aliases {
			if known[a] {
				return true
			}
		}
		return false
	}
	markKnown := func(m sdk.ServedModel) {
		known[m.ID] = true
		for _, a := range m.Aliases {
			known[a] = true
		}
	}
	// First every name of a model already registered, so that the same
	// model listed again under an alias is never new, whatever the order.
	for _, m := range models {
		if isKnown(m) {
			markKnown(m)
		}
	}
	out := []Imported{}
	var recs []json.RawMessage
	for i, m := range models {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		if isKnown(m) {
			continue
		}
		name := m.ID
		for n := 2; names[name]; n++ {
			name = fmt.Sprintf("%s (%d)", m.ID, n)
		}
		names[name] = true
		markKnown(m) // a later listing of the same model by an alias is not new
		ir := importRecord(name, t.backend, t.endpoint, m)
		ir.BackendConfig.APIKeyEnv = t.apiKeyEnv
		rec, err := ir.JSON()
		if err != nil {
			return nil, nil, fmt.Errorf("encoding imported entry %q: %w", name, err)
		}
		recs = append(recs, rec)
		out = append(out, Imported{Name: name, Backend: t.backend, ServedModelID: m.ID, Endpoint: t.endpoint, Record: rec})
	}
	return out, recs, nil
}

// cleanListing prepares a server's listing for import: ids and aliases
// trimmed of surrounding spaces; a model whose id is empty, has a control
// character (NUL, newline, ESC, ...) or is not UTF-8 skipped with a warning
// quoting it (an empty id silently); such aliases, empty ones and the id
// itself dropped from the aliases; every string field scrubbed of the
// secrets; the result sorted by id.
func cleanListing(ctx context.Context, models []sdk.ServedModel, secrets []sdk.Secret, warn func(string)) ([]sdk.ServedModel, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]sdk.ServedModel, 0, len(models))
	for i, m := range models {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		m.ID = strings.TrimSpace(m.ID)
		if m.ID == "" {
			continue
		}
		if !validID(m.ID) {
			if warn != nil {
				warn(fmt.Sprintf("skipping served model %s: its id has control characters or is not UTF-8", strconv.QuoteToASCII(sdk.RedactSecrets(m.ID, secrets...))))
			}
			continue
		}
		var aliases []string
		for _, a := range m.Aliases {
			a = strings.TrimSpace(a)
			if a != "" && a != m.ID && validID(a) {
				aliases = append(aliases, a)
			}
		}
		m.Aliases = aliases
		scrubModel(&m, secrets)
		out = append(out, m)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, ctx.Err()
}

// validID reports whether a served id can be a registry name as it is.
func validID(id string) bool {
	if !utf8.ValidString(id) {
		return false
	}
	return strings.IndexFunc(id, unicode.IsControl) < 0
}

// scrubModel removes the secrets from the fields of m that are stored.
func scrubModel(m *sdk.ServedModel, secrets []sdk.Secret) {
	for _, f := range []*string{&m.ID, &m.ModelPath, &m.Family, &m.Quantization, &m.Root, &m.Parent, &m.Digest} {
		*f = sdk.RedactSecrets(*f, secrets...)
	}
	for i := range m.Aliases {
		m.Aliases[i] = sdk.RedactSecrets(m.Aliases[i], secrets...)
	}
}

// importEndpoint tidies an endpoint given for import: spaces and trailing
// slashes go, and a bare server root (http://host:port) gets /v1. That is a
// rule of the whole platform, not of one backend: an endpoint is always the
// OpenAI-compatible base URL a client uses (registry-format.md, "Endpoint
// resolution"), which is what every Resolve returns and every backend is
// given.
func importEndpoint(endpoint string) string {
	endpoint = strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Host != "" && u.Path == "" && u.RawQuery == "" {
		endpoint += "/v1"
	}
	return endpoint
}

func importRecord(name, backend, endpoint string, m sdk.ServedModel) registry.ImportedRecord {
	rec := registry.ImportedRecord{
		Name: name, DisplayName: name, Backend: backend,
		BackendConfig: endpointConfig(endpoint),
		Capabilities:  m.Capabilities,
		Metadata: registry.ImportedMeta{
			RegistryLayer: "discovered", ImportedFrom: endpoint, Root: m.Root, Parent: m.Parent,
			ContextLength: m.ContextLength, Digest: m.Digest,
		},
		ServedModelID: m.ID, ModelAliases: m.Aliases, Family: m.Family, Quantization: m.Quantization, DownloadSizeBytes: m.SizeBytes,
	}
	rec.BackendConfig.ModelPath = m.ModelPath
	return rec
}

// endpointConfig turns an endpoint (redacted) into backend_config: host and
// port when it is the plain http://host:port/v1 form, else base_url. The
// redacted credentials are dropped, not stored masked: a placeholder
// password would be sent to the server as if it were one (the key goes in
// api_key_env instead).
func endpointConfig(endpoint string) registry.ImportedConfig {
	endpoint = withoutMasked(endpoint)
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "http" || (u.Path != "/v1" && u.Path != "") || u.RawQuery != "" {
		return registry.ImportedConfig{BaseURL: endpoint}
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		return registry.ImportedConfig{BaseURL: endpoint}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return registry.ImportedConfig{BaseURL: endpoint}
	}
	return registry.ImportedConfig{Host: host, Port: port}
}

// withoutMasked drops from a redacted URL the user info and every query
// parameter whose value sdk.RedactURL masked; a URL that does not parse is
// returned as it is (it is redacted already).
func withoutMasked(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	if p, ok := u.User.Password(); ok && p == sdk.Masked {
		u.User = nil
	}
	if u.RawQuery != "" {
		var kept []string
		for p := range strings.SplitSeq(u.RawQuery, "&") {
			if _, v, ok := strings.Cut(p, "="); ok && v == sdk.Masked {
				continue
			}
			kept = append(kept, p)
		}
		u.RawQuery = strings.Join(kept, "&")
	}
	return u.String()
}
