package registry

import (
	"encoding/json"
)

// The typed edits and records below are how tooling writes the fields it
// owns; the JSON keys are spelled in this package only.

// SetLocked sets version_lock.locked. Errors are those of Set.
func (ed *Edit) SetLocked(locked bool) error {
	return ed.Set(locked, keyVersionLock, "locked")
}

// SetLastVerified sets version_lock.last_verified to ts, an RFC 3339 time.
// Errors are those of Set.
func (ed *Edit) SetLastVerified(ts string) error {
	return ed.Set(ts, keyVersionLock, "last_verified")
}

// SetArtifacts stores a manifest as the entry's artifacts: its aggregate
// first, then its files (an object's other members are kept). Errors are
// those of Set.
func (ed *Edit) SetArtifacts(a Artifacts) error {
	files := a.Files
	if files == nil {
		files = []ArtifactFile{}
	}
	if err := ed.Set(a.AggregateSHA256, keyArtifacts, "aggregate_sha256"); err != nil {
		return err
	}
	return ed.Set(files, keyArtifacts, "files")
}

// SetExpectedFiles stores the manifest an expected hash was pinned from at
// version_lock.expected_files, so a later drift report names what changed
// since the pin even after unlocked verifies replaced artifacts.files. It
// goes with every edit that sets the expected hash. Errors are those of Set.
func (ed *Edit) SetExpectedFiles(files []ArtifactFile) error {
	if files == nil {
		files = []ArtifactFile{}
	}
	return ed.Set(files, keyVersionLock, "expected_files")
}

// VisionProbe is the record a vision probe leaves at probes.vision.
type VisionProbe struct {
	VisionOK     bool   `json:"vision_ok"`
	Timestamp    string `json:"timestamp"`
	ProbeVersion string `json:"probe_version"`
	LatencyMS    int64  `json:"latency_ms"`
	Notes        string `json:"notes"`
}

// SetVisionProbe stores p at probes.vision. Errors are those of Set.
func (ed *Edit) SetVisionProbe(p VisionProbe) error {
	return ed.Set(p, keyProbes, "vision")
}

// Performance returns the merged performance object as stored, nil when
// absent.
func (e *Entry) Performance() json.RawMessage { return e.Field(keyPerformance) }

// Probes returns the merged probes object as stored, nil when absent.
func (e *Entry) Probes() json.RawMessage { return e.Field(keyProbes) }

// StoredAliases returns model_aliases exactly as stored when it is a list
// of strings, nil otherwise (absent, null, another type, or a list holding
// anything but strings). Aliases is the cleaned view.
func (e *Entry) StoredAliases() []string {
	raw := e.get(keyModelAliases)
	if len(raw) == 0 {
		return nil
	}
	var out []string
	if json.Unmarshal(raw, &out) != nil {
		return nil
	}
	return out
}

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
