package registry

import (
	"sync"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// This file is the one place a top-level registry field is described: its
// key, which layer owns it (and so how the layers merge it) and how
// Validate checks it. A typed accessor on Entry, or a typed edit on Edit,
// reads or writes it by its key constant. Adding a field is adding a row
// here (plus an accessor or an edit if typed access is wanted).
//
// The members of backend_config have a table of their own, configRows:
// its rows are what Validate checks and what Entry.BackendConfig decodes.
// Plugins read any member, in the table or not, from sdk.Entry.Raw
// (Entry.Lookup("backend_config", key)); a row with a typed field also
// fills that field of BackendConfig, which must then be a field of
// sdk.BackendConfig, of the proto message and of the two adapters too
// (TestConfigRows, the core package's conversion and sdk's round trip
// fail until it is).

// Top-level keys the package reads or writes by name.
const (
	keyName                      = "name"
	keyBackend                   = "backend"
	keyDisplayName               = "display_name"
	keyServedModelID             = "served_model_id"
	keyLicense                   = "license"
	keyFamily                    = "family"
	keySourceProvider            = "source_provider"
	keyQuantization              = "quantization"
	keyDownloadFormat            = "download_format"
	keyDownloadLocation          = "download_location"
	keyDownloadPath              = "download_path"
	keyDownloadDirectoryChecksum = "download_directory_checksum"
	keyDownloadedAt              = "downloaded_at"
	keyLastAccessed              = "last_accessed"
	keyDownloadSizeBytes         = "download_size_bytes"
	keyDeprecated                = "deprecated"
	keyModelAliases              = "model_aliases"
	keyRoles                     = "roles"
	keyBackendAlternatives       = "backend_alternatives"
	keyDownloadFiles             = "download_files"
	keyRolePriority              = "role_priority"
	keyCapabilities              = "capabilities"
	keyMetadata                  = "metadata"
	keyBackendConfig             = "backend_config"
	keyGenerationDefaults        = "generation_defaults"
	keyChatTemplate              = "chat_template"
	keyPerformance               = "performance"
	keyArtifacts                 = "artifacts"
	keyVersionLock               = "version_lock"
	keyProbes                    = "probes"
)

// owner is the layer that owns a top-level field.
type owner int

const (
	// ownerCurated: people edit it in the curated file; the curated value
	// wins where it is set, objects merge member by member, and tooling
	// may not change it on a curated entry. Unknown keys are curated.
	ownerCurated owner = iota
	// ownerRuntime: tooling writes it to the discovered layer; the
	// discovered value wins where it is set, and the curated file should
	// not hold it.
	ownerRuntime
)

// fieldDef describes one known top-level field.
type fieldDef struct {
	key   string
	owner owner
	check fieldCheck // nil: the value is not checked
}

// fieldTable is the known fields by key, in the order of the table.
type fieldTable struct {
	byKey map[string]fieldDef
	order []string
}

// knownFields returns the field table. It is built once, on first use, and
// never changed afterwards.
var knownFields = sync.OnceValue(func() *fieldTable {
	t := &fieldTable{byKey: map[string]fieldDef{}}
	for _, f := range fieldRows() {
		t.byKey[f.key] = f
		t.order = append(t.order, f.key)
	}
	return t
})

// fieldRows is the field table: one row per known top-level field.
func fieldRows() []fieldDef {
	str := oneOf("a string", doc.String)
	strOrNull := oneOf("a string or null", doc.String, doc.Null)
	intOrNull := oneOf("an integer or null", doc.Integer, doc.Null)
	numOrNull := oneOf("a number or null", doc.Integer, doc.Float, doc.Null)
	boolean := oneOf("a boolean", doc.Bool)
	const cur, run = ownerCurated, ownerRuntime
	return []fieldDef{
		{keyName, cur, str},
		{keyBackend, cur, str},
		{keyDisplayName, cur, strOrNull},
		{keyServedModelID, cur, strOrNull},
		{keyLicense, cur, strOrNull},
		{keyFamily, cur, strOrNull},
		{keySourceProvider, cur, strOrNull},
		{keyQuantization, cur, strOrNull},
		{keyDownloadFormat, run, strOrNull},
		{keyDownloadLocation, run, strOrNull},
		{keyDownloadPath, run, strOrNull},
		{keyDownloadDirectoryChecksum, run, strOrNull},
		{keyDownloadedAt, run, timestampOrNull},
		{keyLastAccessed, run, timestampOrNull},
		{keyDownloadSizeBytes, run, intOrNull},
		{keyDeprecated, cur, boolean},
		{keyModelAliases, cur, wantStrList},
		{keyRoles, cur, wantStrList},
		{keyBackendAlternatives, cur, wantStrList},
		{keyDownloadFiles, run, wantStrList},
		{keyRolePriority, cur, objectOf(oneOf("an integer", doc.Integer))},
		{keyCapabilities, cur, objectOf(oneOf("a boolean or an object", doc.Bool, doc.Object))},
		{keyMetadata, cur, oneOf("an object", doc.Object, doc.Null)},
		{keyBackendConfig, cur, object(false, configChecks())},
		{keyGenerationDefaults, cur, object(true, map[string]fieldCheck{
			"max_tokens":        intOrNull,
			"min_tokens":        intOrNull,
			"top_k":             intOrNull,
			"context_window":    intOrNull,
			"temperature":       numOrNull,
			"top_p":             numOrNull,
			"frequency_penalty": numOrNull,
			"presence_penalty":  numOrNull,
			"stop_sequences":    strListOrNull,
		})},
		{keyChatTemplate, cur, object(true, map[string]fieldCheck{
			"source": strOrNull,
			"path":   strOrNull,
			"sha256": strOrNull,
		})},
		{keyPerformance, run, object(true, map[string]fieldCheck{
			"rolling_samples":           intOrNull,
			"ttft_ms_avg":               numOrNull,
			"throughput_toks_per_s_avg": numOrNull,
			"last_sample":               oneOf("an object or null", doc.Object, doc.Null),
		})},
		{keyArtifacts, run, object(true, map[string]fieldCheck{
			"aggregate_sha256": oneOf("a string", doc.String, doc.Null),
			"files":            artifactFiles,
		})},
		{keyVersionLock, run, object(true, map[string]fieldCheck{
			"locked":                    boolean,
			"expected_aggregate_sha256": strOrNull,
			"last_verified":             timestampOrNull,
			"expected_files":            artifactFiles,
		})},
		{keyProbes, run, object(true, map[string]fieldCheck{
			"vision": oneOf("an object or null", doc.Object, doc.Null),
		})},
	}
}

// configKind is what a backend_config member's value must be (null is
// accepted too and reads as the zero value).
type configKind int

const (
	configString configKind = iota
	configInt
	configStrings
)

// String names the kind as ConfigKey.Kind does.
func (k configKind) String() string {
	switch k {
	case configInt:
		return "integer"
	case configStrings:
		return "string list"
	}
	return "string"
}

// check is how Validate checks a value of the kind.
func (k configKind) check() fieldCheck {
	switch k {
	case configInt:
		return oneOf("an integer", doc.Integer, doc.Null)
	case configStrings:
		return wantStrList
	}
	return oneOf("a string", doc.String, doc.Null)
}

// configRow describes one known member of backend_config.
type configRow struct {
	key  string
	kind configKind
	// into stores a value in the typed view; nil for a member only
	// plugins read (through sdk.Entry.Lookup).
	into func(c *BackendConfig, v doc.Value)
}

// configRows is the backend_config table: one row per known member.
func configRows() []configRow {
	return []configRow{
		{"port", configInt, func(c *BackendConfig, v doc.Value) { c.Port = v.Int() }},
		{"model_path", configString, func(c *BackendConfig, v doc.Value) { c.ModelPath = v.Str() }},
		{"host", configString, func(c *BackendConfig, v doc.Value) { c.Host = v.Str() }},
		{"base_url", configString, func(c *BackendConfig, v doc.Value) { c.BaseURL = v.Str() }},
		{"api_key_env", configString, func(c *BackendConfig, v doc.Value) { c.APIKeyEnv = v.Str() }},
		{"extra_args", configStrings, func(c *BackendConfig, v doc.Value) { c.ExtraArgs = v.Strs() }},

		// The Ollama backend's model store (docs/backends.md).
		{"ollama_models", configString, nil},
	}
}

// configChecks is Validate's checks of backend_config's members, from
// configRows.
func configChecks() map[string]fieldCheck {
	out := map[string]fieldCheck{}
	for _, r := range configRows() {
		out[r.key] = r.kind.check()
	}
	return out
}

// configDecoders are the typed rows of configRows by key. Built once, on
// first use, and never changed afterwards.
var configDecoders = sync.OnceValue(func() map[string]func(*BackendConfig, doc.Value) {
	out := map[string]func(*BackendConfig, doc.Value){}
	for _, r := range configRows() {
		if r.into != nil {
			out[r.key] = r.into
		}
	}
	return out
})

// ConfigKey is one backend_config member the registry knows.
type ConfigKey struct {
	// Key is the member's name.
	Key string
	// Kind is what its value must be: "string", "integer" or "string
	// list"; null is accepted too.
	Kind string
	// Typed says BackendConfig (and sdk.BackendConfig) has a field for it;
	// every member reaches a backend in sdk.Entry.Raw either way.
	Typed bool
}

// BackendConfigKeys returns the backend_config members the registry knows
// (checks, and decodes when typed), in the table's order.
func BackendConfigKeys() []ConfigKey {
	rows := configRows()
	out := make([]ConfigKey, len(rows))
	for i, r := range rows {
		out[i] = ConfigKey{Key: r.key, Kind: r.kind.String(), Typed: r.into != nil}
	}
	return out
}
