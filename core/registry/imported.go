package registry

import (
	"encoding/json"
)

// The records below are how tooling adds entries it imports; the JSON keys
// are spelled in this package only, as they are in Edit's typed setters.

// ImportedRecord is the record an import writes for a model a server
// lists; field order is the reference's.
type ImportedRecord struct {
	Name              string          `json:"name"`
	DisplayName       string          `json:"display_name"`
	Backend           string          `json:"backend"`
	BackendConfig     ImportedConfig  `json:"backend_config"`
	Capabilities      map[string]bool `json:"capabilities,omitempty"`
	Metadata          ImportedMeta    `json:"metadata"`
	ServedModelID     string          `json:"served_model_id"`
	ModelAliases      []string        `json:"model_aliases,omitempty"`
	Family            string          `json:"family,omitempty"`
	Quantization      string          `json:"quantization,omitempty"`
	DownloadSizeBytes int64           `json:"download_size_bytes,omitempty"`
}

// ImportedConfig is an imported record's backend_config.
type ImportedConfig struct {
	Port      int    `json:"port,omitempty"`
	ModelPath string `json:"model_path,omitempty"`
	Host      string `json:"host,omitempty"`
	BaseURL   string `json:"base_url,omitempty"`
	APIKeyEnv string `json:"api_key_env,omitempty"`
}

// ImportedMeta is an imported record's metadata.
type ImportedMeta struct {
	RegistryLayer string `json:"registry_layer"`
	ImportedFrom  string `json:"imported_from"`
	Root          string `json:"served_root,omitempty"`
	Parent        string `json:"served_parent,omitempty"`
	ContextLength int64  `json:"context_length,omitempty"`
	Digest        string `json:"digest,omitempty"`
}

// JSON returns the record as compact JSON, the form Add and AddAll take.
func (r ImportedRecord) JSON() (json.RawMessage, error) { return json.Marshal(r) }
