package registry

import (
	"sync"

	"github.com/imageworks-ai/loader/core/registry/internal/jsonraw"
)

// This file is the one place a top-level registry field is described: its
// key, which layer owns it (and so how the layers merge it) and how
// Validate checks it. A typed accessor on Entry, or a typed edit on Edit,
// reads or writes it by its key constant. Adding a field is adding a row
// here (plus an accessor or an edit if typed access is wanted).

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
	str := oneOf("a string", jsonraw.IsString)
	strOrNull := oneOf("a string or null", jsonraw.IsString, jsonraw.IsNull)
	intOrNull := oneOf("an integer or null", jsonraw.IsInteger, jsonraw.IsNull)
	numOrNull := oneOf("a number or null", jsonraw.IsNumber, jsonraw.IsNull)
	boolean := oneOf("a boolean", jsonraw.IsBool)
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
		{keyRolePriority, cur, objectOf(oneOf("an integer", jsonraw.IsInteger))},
		{keyCapabilities, cur, objectOf(oneOf("a boolean or an object", jsonraw.IsBool, jsonraw.IsObject))},
		{keyMetadata, cur, oneOf("an object", jsonraw.IsObject, jsonraw.IsNull)},
		{keyBackendConfig, cur, object(false, map[string]fieldCheck{
			"port":        oneOf("an integer", jsonraw.IsInteger, jsonraw.IsNull),
			"model_path":  oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
			"host":        oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
			"base_url":    oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
			"api_key_env": oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
			"extra_args":  wantStrList,

			// The Ollama backend's model store (docs/backends.md).
			"ollama_models": oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
		})},
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
			"last_sample":               oneOf("an object or null", jsonraw.IsObject, jsonraw.IsNull),
		})},
		{keyArtifacts, run, object(true, map[string]fieldCheck{
			"aggregate_sha256": oneOf("a string", jsonraw.IsString, jsonraw.IsNull),
			"files":            artifactFiles,
		})},
		{keyVersionLock, run, object(true, map[string]fieldCheck{
			"locked":                    boolean,
			"expected_aggregate_sha256": strOrNull,
			"last_verified":             timestampOrNull,
			"expected_files":            artifactFiles,
		})},
		{keyProbes, run, object(true, map[string]fieldCheck{
			"vision": oneOf("an object or null", jsonraw.IsObject, jsonraw.IsNull),
		})},
	}
}
