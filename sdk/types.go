package sdk

import (
	"encoding/json"
	"time"
)

// Info describes a backend.
type Info struct {
	// Name is the backend name an entry's "backend" field selects.
	Name string
	// Version is the backend's own version (semver without a leading v is
	// fine; it is shown, not compared).
	Version string
	// Protocols lists the plugin protocol versions the backend speaks.
	// Serve fills it in when empty.
	Protocols []int
	// DefaultPort is the port the server listens on when an entry gives
	// none (vLLM 8000, LMDeploy 23333, Ollama 11434).
	DefaultPort int
	// Implements lists the optional calls (CallHealth, ...) the backend
	// answers, sorted. A backend leaves it nil: Serve fills it in from the
	// optional interfaces the backend implements (see Implemented). A
	// backend that sets it (the way of earlier versions of this package)
	// has its list reported unchanged.
	Implements []string
	// Description is one line saying what the backend serves ("llama.cpp's
	// llama-server"), shown by `imageworks-loader plugins`; may be "".
	Description string
	// Homepage is where to learn more about the backend (a URL); may be "".
	Homepage string
}

// Entry is a registry entry as a backend sees it: the typed common fields
// plus the whole merged JSON record, so a backend can read keys the core
// does not know.
type Entry struct {
	// Name is the entry's logical name, unique in the registry.
	Name string
	// DisplayName is the entry's display_name, shown to people; may be "".
	DisplayName string
	// Backend is the backend the entry selects (this backend's Info name).
	Backend string
	// ServedModelID is the entry's served_model_id: the id the server
	// knows the model by, or "" to use Name.
	ServedModelID string
	// Config is the entry's backend_config.
	Config BackendConfig
	// Capabilities is the normalised capability map (every canonical key
	// present).
	Capabilities map[string]bool
	// Raw is the entry's merged JSON object, byte for byte.
	Raw json.RawMessage
}

// BackendConfig is the entry's backend_config.
type BackendConfig struct {
	// Host is the server's host name, or a whole http(s) base URL; "" means
	// localhost.
	Host string
	// Port is the server's port; 0 means the backend's DefaultPort.
	Port int
	// BaseURL, when set, is the server's OpenAI-compatible base URL and
	// wins over Host and Port. It arrives as written (untrimmed).
	BaseURL string
	// ModelPath is where the model comes from: a directory or file, or a
	// backend's own reference ("ollama:/llava:latest"); may be "". The
	// host gives a local path absolute: backend_config.model_path, else
	// download_path, a relative one resolved against the registry
	// directory (a leading ~ against $HOME), as verify resolves it, so a
	// server started from any working directory runs the same files. A
	// reference in a scheme form arrives as written, and Raw holds both
	// fields as written.
	ModelPath string
	// ExtraArgs are extra server arguments the entry lists, in order.
	ExtraArgs []string
	// APIKeyEnv names the environment variable holding the API key. The
	// host reads it; backends get the value in the request's APIKey.
	APIKeyEnv string
}

// ResolveRequest asks how to reach an entry's model.
type ResolveRequest struct {
	// Entry is the registry entry to resolve.
	Entry Entry
	// Live asks the backend to check the server too; the result's Live
	// field then holds what it found.
	Live bool
	// APIKey is the key for the server, or empty. It prints redacted;
	// Reveal it only to send it.
	APIKey Secret
}

// Resolution is how a client reaches a model.
type Resolution struct {
	// Endpoint is the OpenAI-compatible base URL, without a trailing slash.
	Endpoint string
	// InternalModelID is the id to send as "model".
	InternalModelID string
	// Notes are short human-readable remarks, in order.
	Notes []string
	// Live is set when the request asked for a live check.
	Live *HealthStatus
}

// HealthRequest asks whether a server is up and which models it serves.
type HealthRequest struct {
	// Endpoint is the base URL as Resolve gave it.
	Endpoint string
	// Models are the ids to check; empty means none.
	Models []string
	// APIKey is the key for the server, or empty. It prints redacted;
	// Reveal it only to send it.
	APIKey Secret
}

// HealthStatus is what a health check found.
type HealthStatus struct {
	// Up says whether the server answered its health check as ready.
	Up bool
	// Version is the server's version when it tells it, else "".
	Version string
	// Models holds one status per requested model id, in request order.
	Models []ModelStatus
	// Served lists every id the server serves (aliases included), sorted,
	// when it can be listed.
	Served []string
	// LatencyMS is the health check's client wall-clock time.
	LatencyMS int64
	// Notes are short human-readable remarks (why the server is down, what
	// it could not say), in order.
	Notes []string
}

// ModelStatus says whether one model id is served.
type ModelStatus struct {
	// ID is the model id as requested.
	ID string
	// Served says whether the server serves it.
	Served bool
}

// ListModelsRequest asks a running server what it serves.
type ListModelsRequest struct {
	// Endpoint is the server's OpenAI-compatible base URL.
	Endpoint string
	// APIKey is the key for the server, or empty. It prints redacted;
	// Reveal it only to send it.
	APIKey Secret
}

// ServedModel is one model a server serves, with what the server says of it.
type ServedModel struct {
	// ID is the id clients send as "model".
	ID string
	// Aliases are other ids for the same model.
	Aliases []string
	// Root is the model's source (a path for vLLM, a name elsewhere).
	Root string
	// Parent is the base model of an adapter, else "".
	Parent string
	// Capabilities is what the server reports (Ollama /api/show), keyed by
	// canonical capability names; nil when the server cannot say.
	Capabilities map[string]bool
	// Family is the model family the server reports ("qwen25vl"), else "".
	Family string
	// Quantization is the quantization the server reports ("Q4_K_M"),
	// else "".
	Quantization string
	// SizeBytes is the model's size on disk, 0 when unknown.
	SizeBytes int64
	// ContextLength is the model's maximum context, 0 when unknown.
	ContextLength int64
	// Digest is the server's digest of the model (Ollama's), else "".
	Digest string
	// ModelPath is what backend_config.model_path of an entry imported
	// from this model should say (Ollama: "ollama:/llava:latest"); "" when
	// nothing.
	ModelPath string
}

// ProbeRequest asks a model about an image.
type ProbeRequest struct {
	// Entry is the registry entry probed.
	Entry Entry
	// Endpoint is the base URL as Resolve gave it; "" means the entry's.
	Endpoint string
	// ModelID is the id to send as "model" (Resolution.InternalModelID).
	ModelID string
	// APIKey is the key for the server, or empty. It prints redacted;
	// Reveal it only to send it.
	APIKey Secret
	// Image holds the image bytes.
	Image []byte
	// MIMEType is the image's sniffed type (image/png, image/jpeg, ...), or
	// "" to let the backend sniff it.
	MIMEType string
	// Prompt is the question to ask.
	Prompt string
	// Expect, when non-empty, lists answers of which at least one must
	// appear (case-insensitively) in the reply for the probe to count the
	// image as seen. The host sets it for its built-in challenge image.
	Expect []string
	// Challenge is the host's built-in image whose content is known. A
	// backend whose server cannot attest to vision by itself (LMDeploy
	// answers image questions for text-only models) asks it too when Expect
	// is empty, and counts the image as seen only when the challenge's
	// answer matches. Nil when the caller gives none.
	Challenge *Challenge
	// Timeout bounds the whole probe; zero means the backend's default.
	Timeout time.Duration
}

// Challenge is an image whose content is known and the answers that prove a
// model saw it.
type Challenge struct {
	// Image holds the image bytes.
	Image []byte
	// MIMEType is the image's type (image/png).
	MIMEType string
	// Prompt is the question that Expect answers.
	Prompt string
	// Expect lists answers of which at least one must appear,
	// case-insensitively, in the reply.
	Expect []string
}

// ProbeResult is what a vision probe found.
type ProbeResult struct {
	// VisionOK says whether the probe proved that the model sees images.
	VisionOK bool
	// LatencyMS is client wall-clock time from send to full body read.
	LatencyMS int64
	// Notes say which proofs held and what the server said.
	Notes []string
	// Model is the model the server answered as.
	Model string
	// Excerpt is the start of the answer (at most 200 characters).
	Excerpt string
	// StatusCode is the HTTP status of the server's answer.
	StatusCode int
	// ProbeVersion identifies the probe's method, for comparing results.
	ProbeVersion string
}

// ArtifactsRequest asks for the local files behind an entry.
type ArtifactsRequest struct {
	// Entry is the registry entry whose files are wanted.
	Entry Entry
}

// ArtifactSet is the local files behind an entry.
type ArtifactSet struct {
	// Root is the absolute directory the paths are relative to.
	Root string
	// Files are slash-separated paths relative to Root, sorted.
	Files []ArtifactFile
}

// ArtifactFile is one local file behind an entry.
type ArtifactFile struct {
	// Path is slash-separated and relative to ArtifactSet.Root.
	Path string
	// SHA256 is the digest the file must have when the backend knows it
	// (Ollama blobs are named by it), else "".
	SHA256 string
}
