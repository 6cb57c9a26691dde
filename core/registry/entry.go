package registry

import (
	"encoding/json"
	"sync"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// Entry is an immutable, merged view of one registry entry. Fields are
// decoded on demand from the bytes the layers were read with.
type Entry struct {
	name string
	cur  *record // the curated record, nil when the entry is not curated
	dis  *record // the discovered record (the only record in single-file mode)

	rawOnce sync.Once
	raw     []byte
}

// BackendConfig is the typed view of backend_config: one field for each
// typed row of the backend_config table (fields.go), its json tag the
// row's key. A key that is missing, null or of another type reads as the
// zero value.
type BackendConfig struct {
	// Host is the server's host name, or a URL starting with http:// or
	// https://; "" means localhost.
	Host string `json:"host"`
	// Port is the server's port; 0 means the backend's default.
	Port int `json:"port"`
	// BaseURL is the full endpoint; when set it wins over Host and Port.
	BaseURL string `json:"base_url"`
	// ModelPath is the model's local directory or a scheme form such as
	// "ollama:/name:tag".
	ModelPath string `json:"model_path"`
	// ExtraArgs are extra server arguments (the string elements of the
	// list); nil when absent or not a list.
	ExtraArgs []string `json:"extra_args"`
	// APIKeyEnv names the environment variable holding the API key; the
	// key itself is never stored.
	APIKeyEnv string `json:"api_key_env"`
}

// ArtifactFile is one file of an artifacts manifest.
type ArtifactFile struct {
	// Path is relative to the model directory, with forward slashes.
	Path string `json:"path"`
	// SHA256 is the file's lowercase hex SHA-256.
	SHA256 string `json:"sha256"`
}

// Artifacts is the typed view of artifacts.
type Artifacts struct {
	// AggregateSHA256 is the aggregate hash of Files (see the registry
	// format); "" when absent or null.
	AggregateSHA256 string `json:"aggregate_sha256"`
	// Files is the manifest in stored order; empty, never nil, when absent.
	Files []ArtifactFile `json:"files"`
}

// VersionLock is the typed view of version_lock.
type VersionLock struct {
	// Locked makes a verification whose aggregate differs from
	// ExpectedAggregateSHA256 a lock violation.
	Locked bool `json:"locked"`
	// ExpectedAggregateSHA256 is the aggregate the artifacts must hash to;
	// "" when null.
	ExpectedAggregateSHA256 string `json:"expected_aggregate_sha256"`
	// LastVerified is the RFC 3339 time of the last verification as
	// stored; "" when null.
	LastVerified string `json:"last_verified"`
	// ExpectedFiles is the manifest the expected hash was pinned from
	// (version_lock.expected_files); nil when not stored (a lock made by
	// the earlier Python tool).
	ExpectedFiles []ArtifactFile `json:"expected_files,omitempty"`
}

func newEntry(name string, cur, dis *record) *Entry {
	return &Entry{name: name, cur: cur, dis: dis}
}

// get returns the merged value at a key path (the zero Value when it is
// missing).
func (e *Entry) get(path ...string) doc.Value {
	var v doc.Value
	switch {
	case e.cur == nil:
		v = e.dis.Get(path[0])
	case e.dis == nil:
		v = e.cur.Get(path[0])
	default:
		v = doc.MergedValue(path[0], e.dis.Record, e.cur.Record, layerOwner(path[0]))
	}
	return v.Get(path[1:]...)
}

// Name returns the entry's logical name (trimmed).
func (e *Entry) Name() string { return e.name }

// DisplayName returns display_name, or the name when it is missing, null or
// empty.
func (e *Entry) DisplayName() string {
	if s := e.get(keyDisplayName).Str(); s != "" {
		return s
	}
	return e.name
}

// Backend returns the backend's name, "" when missing.
func (e *Entry) Backend() string { return e.get(keyBackend).Str() }

// ServedModelID returns served_model_id, "" when missing or null.
func (e *Entry) ServedModelID() string { return e.get(keyServedModelID).Str() }

// BackendConfig returns the typed backend_config; missing fields are zero.
func (e *Entry) BackendConfig() BackendConfig {
	var bc BackendConfig
	into := configDecoders()
	for k, val := range e.get(keyBackendConfig).Members() {
		if f := into[k]; f != nil {
			f(&bc, val)
		}
	}
	return bc
}

// Roles returns roles (never nil).
func (e *Entry) Roles() []string {
	if r := e.get(keyRoles).Strs(); r != nil {
		return r
	}
	return []string{}
}

// RolePriority returns role_priority (never nil); non-integer values are 0.
func (e *Entry) RolePriority() map[string]int {
	out := map[string]int{}
	for k, val := range e.get(keyRolePriority).Members() {
		out[k] = val.Int()
	}
	return out
}

// Deprecated reports deprecated == true.
func (e *Entry) Deprecated() bool { return e.get(keyDeprecated).Bool() }

// Artifacts returns the typed artifacts (Files never nil).
func (e *Entry) Artifacts() Artifacts {
	a := Artifacts{Files: []ArtifactFile{}}
	for k, val := range e.get(keyArtifacts).Members() {
		switch k {
		case "aggregate_sha256":
			a.AggregateSHA256 = val.Str()
		case "files":
			if f := artifactList(val); f != nil {
				a.Files = f
			}
		}
	}
	return a
}

// artifactList reads a manifest (a list of {path, sha256} objects); nil
// when v is not a list.
func artifactList(v doc.Value) []ArtifactFile {
	if v.Kind() != doc.List {
		return nil
	}
	out := []ArtifactFile{}
	for f := range v.Elems() {
		if f.Kind() == doc.Object {
			out = append(out, ArtifactFile{Path: f.Get("path").Str(), SHA256: f.Get("sha256").Str()})
		}
	}
	return out
}

// AggregateSHA256 returns artifacts.aggregate_sha256 without decoding the
// manifest, "" when missing.
func (e *Entry) AggregateSHA256() string {
	return e.get(keyArtifacts, "aggregate_sha256").Str()
}

// VersionLock returns the typed version_lock, reading a member of another
// type as its zero value. Code that acts on the lock (verify, lock,
// activate) uses CheckedVersionLock, which refuses such a value instead.
func (e *Entry) VersionLock() VersionLock {
	var vl VersionLock
	for k, val := range e.get(keyVersionLock).Members() {
		switch k {
		case "locked":
			vl.Locked = val.Bool()
		case "expected_aggregate_sha256":
			vl.ExpectedAggregateSHA256 = val.Str()
		case "last_verified":
			vl.LastVerified = val.Str()
		case "expected_files":
			vl.ExpectedFiles = artifactList(val)
		}
	}
	return vl
}

// CheckedVersionLock is VersionLock for code that acts on the lock: a
// version_lock that is not an object (or null), a locked that is not a
// boolean, or an expected hash or pinned manifest of the wrong type is a
// *FieldError naming the entry and the field, never read as "unlocked".
func (e *Entry) CheckedVersionLock() (VersionLock, error) {
	v := e.get(keyVersionLock)
	msg := ""
	switch v.Kind() {
	case doc.Missing, doc.Null:
	case doc.Object:
		for k, val := range v.Members() {
			key := keyVersionLock + "." + k
			switch k {
			case "locked":
				msg = wantKind(key, val, "a boolean", doc.Bool)
			case "expected_aggregate_sha256":
				msg = wantKind(key, val, "a string or null", doc.String, doc.Null)
			case "expected_files":
				msg = artifactFiles(key, val)
			}
			if msg != "" {
				break
			}
		}
	default:
		msg = want(keyVersionLock, v, false, "an object")
	}
	if msg != "" {
		return VersionLock{}, &FieldError{Entry: e.name, Field: keyVersionLock, Msg: msg}
	}
	return e.VersionLock(), nil
}

// DownloadPath returns download_path, "" when missing or null.
func (e *Entry) DownloadPath() string { return e.get(keyDownloadPath).Str() }

// DownloadFiles returns download_files (never nil).
func (e *Entry) DownloadFiles() []string {
	if r := e.get(keyDownloadFiles).Strs(); r != nil {
		return r
	}
	return []string{}
}

// Raw returns the merged JSON object (a copy the caller may keep). For an
// entry in one layer it is that record's bytes; for an entry in both it is
// the ownership merge, written in the reference layout.
func (e *Entry) Raw() json.RawMessage {
	return append(json.RawMessage(nil), e.merged()...)
}

// merged returns the merged record at array depth 1 (shared; do not modify).
func (e *Entry) merged() []byte {
	e.rawOnce.Do(func() {
		switch {
		case e.cur == nil:
			e.raw = doc.RecordBytes(e.dis.Record)
		case e.dis == nil:
			e.raw = doc.RecordBytes(e.cur.Record)
		default:
			e.raw = doc.Merge(nil, e.dis.Record, e.cur.Record, layerOwner)
		}
	})
	return e.raw
}

// appendMerged appends the merged record at array depth 1 without keeping
// it in the entry (used for snapshots).
func (e *Entry) appendMerged(dst []byte) []byte {
	switch {
	case e.cur == nil:
		return doc.AppendRecord(dst, e.dis.Record)
	case e.dis == nil:
		return doc.AppendRecord(dst, e.cur.Record)
	}
	return doc.Merge(dst, e.dis.Record, e.cur.Record, layerOwner)
}

// Field returns a copy of the merged value of a top-level key, nil when the
// key is absent (a present null is returned as null).
func (e *Entry) Field(key string) json.RawMessage {
	v := e.get(key)
	if v.Kind() == doc.Missing {
		return nil
	}
	return append(json.RawMessage(nil), v...)
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

// InCurated reports whether the entry exists in the curated layer, which
// makes its curated-owned fields read-only for tooling.
func (e *Entry) InCurated() bool { return e.cur != nil }
