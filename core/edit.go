package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// Init makes the registry opts names: the folder and the layers it lacks
// (registry.Init), or in single-file mode the file (registry.InitFile).
// Nothing that exists is overwritten; a second Init changes nothing.
// Errors are registry.Init's.
func Init(ctx context.Context, opts Options) (registry.InitResult, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ropts := registry.Options{Logger: log.Named("registry"), Now: opts.Now, ReadOnly: opts.ReadOnly}
	if opts.RegistryFile != "" {
		return registry.InitFile(ctx, opts.RegistryFile, ropts)
	}
	return registry.Init(ctx, opts.registryDir(), ropts)
}

// NewEntry is an entry a person adds (Loader.Add).
type NewEntry struct {
	// Name is the entry's name; surrounding spaces are trimmed.
	Name string
	// Backend names the backend serving it (vllm, ollama, lmdeploy, or a
	// plugin's).
	Backend string
	// ModelPath is backend_config.model_path: a local folder or a scheme
	// form (ollama:/name:tag).
	ModelPath string
	// BaseURL is backend_config.base_url: the OpenAI-compatible base URL
	// of a server that runs elsewhere. It may not hold a password or key.
	BaseURL string
	// Port is backend_config.port; 0 means the backend's default.
	Port int
	// APIKeyEnv is backend_config.api_key_env: the variable holding the
	// server's API key.
	APIKeyEnv string
	// ServedModelID is the id the server knows the model by; empty means
	// the name.
	ServedModelID string
	// Roles are the entry's roles, in order.
	Roles []string
	// Capabilities are stored as {"cap": true} each.
	Capabilities []string
}

// Added is the entry Add stored.
type Added struct {
	Name    string `json:"name"`
	Backend string `json:"backend"`
	// Record is the JSON record written to the discovered layer.
	Record json.RawMessage `json:"record"`
}

// ErrExists: Add of a name that an entry has, or that an entry lists as
// an alias.
var ErrExists = errors.New("already in the registry")

// Add adds an entry to the discovered layer, as an import does, and saves
// (under the registry's flock file; the snapshot follows). The record is
// written in the reference's field order: name, display_name (the name),
// backend, backend_config, capabilities, metadata.registry_layer
// "discovered", served_model_id, roles.
//
// Errors: one wrapping ErrExists and naming the entry when the name is an
// entry's, or an alias an entry lists (also when another writer stored it
// meanwhile); one wrapping registry.ErrInvalidEdit for a missing name or
// backend, a name with control characters, a port out of range, or a base
// URL that is not http(s) or holds a password or key; the save's errors.
func (l *Loader) Add(ctx context.Context, ne NewEntry) (Added, error) {
	rec, err := newRecord(ne)
	if err != nil {
		return Added{}, err
	}
	raw, err := rec.JSON()
	if err != nil {
		return Added{}, err
	}
	var ae *registry.AliasError
	switch e, err := l.reg.Get(ctx, rec.Name); {
	case err == nil && e.Name() == rec.Name:
		return Added{}, fmt.Errorf("entry %q: %w", rec.Name, ErrExists)
	case err == nil:
		return Added{}, fmt.Errorf("%q is an alias of entry %q: %w", rec.Name, e.Name(), ErrExists)
	case errors.As(err, &ae):
		return Added{}, fmt.Errorf("%q is an alias of entries %s: %w", rec.Name, strings.Join(ae.Entries, ", "), ErrExists)
	case !errors.Is(err, registry.ErrNotFound):
		return Added{}, err
	}
	if err := l.reg.Add(ctx, raw); err != nil {
		return Added{}, err
	}
	res, err := l.reg.SaveWithResult(ctx)
	if err != nil {
		return Added{}, err
	}
	if res.KeptFor(rec.Name) {
		return Added{}, fmt.Errorf("entry %q: %w (another process stored it first; that entry is kept)", rec.Name, ErrExists)
	}
	return Added{Name: rec.Name, Backend: rec.Backend, Record: raw}, nil
}

// newRecord checks a NewEntry and builds its record.
func newRecord(ne NewEntry) (registry.AddedRecord, error) {
	name := strings.TrimSpace(ne.Name)
	bad := func(format string, args ...any) (registry.AddedRecord, error) {
		if name == "" {
			return registry.AddedRecord{}, fmt.Errorf("%w: %s", registry.ErrInvalidEdit, fmt.Sprintf(format, args...))
		}
		return registry.AddedRecord{}, fmt.Errorf("entry %q: %w: %s", name, registry.ErrInvalidEdit, fmt.Sprintf(format, args...))
	}
	backend := strings.TrimSpace(ne.Backend)
	switch {
	case name == "":
		return bad("an entry needs a name")
	case !validID(name):
		return bad("the name has control characters or is not UTF-8")
	case backend == "":
		return bad("an entry needs a backend")
	case ne.Port < 0 || ne.Port > 65535:
		return bad("port %d is not between 1 and 65535", ne.Port)
	}
	for _, list := range [][]string{ne.Roles, ne.Capabilities} {
		for _, s := range list {
			if strings.TrimSpace(s) == "" || !validID(s) {
				return bad("role or capability %s is empty or has control characters", strconv.QuoteToASCII(s))
			}
		}
	}
	if ne.BaseURL != "" {
		u, err := url.Parse(ne.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("base URL %s is not an http(s) URL", strconv.Quote(sdk.RedactURL(ne.BaseURL)))
		}
		if sdk.RedactURL(ne.BaseURL) != ne.BaseURL {
			return bad("the base URL holds a password or key, which would be stored; keep the key in an environment variable and name that as api_key_env instead")
		}
	}
	rec := registry.AddedRecord{
		Name: name, DisplayName: name, Backend: backend,
		BackendConfig: registry.ImportedConfig{
			Port: ne.Port, ModelPath: ne.ModelPath, BaseURL: ne.BaseURL, APIKeyEnv: ne.APIKeyEnv,
		},
		Metadata:      registry.AddedMeta{RegistryLayer: "discovered"},
		ServedModelID: ne.ServedModelID,
	}
	for _, r := range ne.Roles {
		rec.Roles = append(rec.Roles, strings.TrimSpace(r))
	}
	if len(ne.Capabilities) > 0 {
		rec.Capabilities = map[string]bool{}
		for _, c := range ne.Capabilities {
			rec.Capabilities[strings.TrimSpace(c)] = true
		}
	}
	return rec, nil
}

// Setting is one KEY=VALUE of Loader.Set: a dotted key path and the value
// as text (see registry.ValueFromText for how it is read).
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Edited is an entry after Set.
type Edited struct {
	Name string `json:"name"`
	// Record is the entry's merged record after the change.
	Record json.RawMessage `json:"record"`
}

// Set changes fields of an entry's discovered record, as a person editing
// by hand through a tool (registry.Edit.SetByHand): each Setting's Key is
// a dotted path, its Value text read as registry.ValueFromText says. All
// settings are saved together or none is. name may be a unique alias.
//
// Errors: registry.ErrNotFound / *registry.AliasError for name; a
// *registry.CuratedFieldError naming the curated file for a curated-owned
// field of an entry the curated layer defines; a
// *registry.RuntimeFieldError for artifacts, version_lock, probes and the
// other runtime-owned fields; registry.ErrInvalidEdit for a bad key path or
// a value that does not fit the key's type; the save's errors.
func (l *Loader) Set(ctx context.Context, name string, settings []Setting) (Edited, error) {
	var entry string
	err := l.reg.Update(ctx, name, func(ed *registry.Edit) error {
		entry = ed.Entry().Name()
		for _, s := range settings {
			path, err := registry.ParseKeyPath(s.Key)
			if err != nil {
				return fmt.Errorf("entry %q: %w", entry, err)
			}
			if err := ed.SetByHand(path, s.Value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Edited{}, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return Edited{}, err
	}
	e, err := l.reg.Get(ctx, entry)
	if err != nil {
		return Edited{}, err
	}
	return Edited{Name: e.Name(), Record: e.Raw()}, nil
}

// Remove removes an entry of the discovered layer and saves; name may be
// a unique alias. It returns the removed entry's name. Errors:
// registry.ErrNotFound (also when another writer removed it first) and
// *registry.AliasError for name; a *registry.CuratedEntryError naming the
// curated file for an entry the curated layer defines; the save's errors.
func (l *Loader) Remove(ctx context.Context, name string) (string, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return "", err
	}
	if err := l.reg.Remove(ctx, e.Name()); err != nil {
		return "", err
	}
	if err := l.reg.Save(ctx); err != nil {
		return "", err
	}
	return e.Name(), nil
}
