// Package standin runs httptest stand-ins of the vLLM, LMDeploy and Ollama
// servers that copy the shapes documented in docs/backend-apis.md, including
// the differences between server versions, so that plugins and the CLI can
// be tested without GPUs. A stand-in serves the configured models, answers
// chat questions (a vision model describes the colour of the image it is
// sent; a text-only one answers blind), whole or streamed as server-sent
// events one word a chunk (Config.ChunkDelay apart), answers
// /v1/completions and /v1/embeddings (Embed), checks API keys like the
// real server, can fail on demand (500, bad JSON, slow), and records every
// request it receives so that tests can assert what was sent (Requests,
// and Config.BodyLog's exact bodies).
//
// A stand-in also runs by hand, serving until interrupted (Main, Usage):
//
//	go run ./internal/standin/cmd/standin vllm --models qwen-vl --vision qwen-vl --api-key k
//	go run ./internal/standin/cmd/standin ollama --models llava,qwen3:8b --vision llava
//
// It prints the server's root URL; point an entry's backend_config at it.
package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Kind names the server a stand-in copies.
type Kind string

// The servers a stand-in can copy.
const (
	VLLM     Kind = "vllm"
	LMDeploy Kind = "lmdeploy"
	Ollama   Kind = "ollama"
	// OpenAI is a plain OpenAI-compatible server that is none of the
	// above: Ollama's /v1 layer alone (no /health, no /version, images
	// answered for any model).
	OpenAI Kind = "openai"
)

// Default versions each stand-in reports when Config.Version is empty.
const (
	DefaultVLLMVersion     = "0.11.0"
	DefaultLMDeployVersion = "0.16.0"
	DefaultOllamaVersion   = "0.13.0"
)

// Model is one model a stand-in serves.
type Model struct {
	// ID is the served id ("qwen-vl"; for Ollama "llava" or "llava:7b", an
	// id without a tag is served as ":latest").
	ID string
	// Aliases are further vLLM --served-model-name ids of the same model.
	Aliases []string
	// Root is the /v1/models root. Default: "/models/"+ID for vLLM (a
	// path), the ID elsewhere.
	Root string
	// Parent makes the model a vLLM LoRA adapter of the named base model.
	Parent string
	// Vision says whether the model can see images.
	Vision bool
	// Answer, when set, is what the model answers to every question.
	// Otherwise a vision model names the colour of the image it was sent
	// and a model that cannot see says so.
	Answer string
	// Capabilities overrides Ollama's /api/show capabilities (default
	// "completion", plus "vision" for a vision model).
	Capabilities []string
	// Family, Quantization, ParameterSize, Size and Digest are Ollama's
	// /api/tags and /api/show details.
	Family        string
	Quantization  string // e.g. "Q4_K_M"
	ParameterSize string // e.g. "7.6B"
	Size          int64  // bytes
	Digest        string // hex SHA-256
	// ContextLength is vLLM's max_model_len and Ollama's context length
	// (default 32768 and 8192).
	ContextLength int64
}

// FailMode is a way a stand-in can fail on demand.
type FailMode string

// Failure modes.
const (
	// FailNone answers normally.
	FailNone FailMode = ""
	// FailInternal answers 500 with an error body in the server's shape.
	FailInternal FailMode = "500"
	// FailBadJSON answers 200 with a truncated JSON body.
	FailBadJSON FailMode = "badjson"
	// FailSlow waits Failure.Delay (or until the client gives up) before
	// answering normally.
	FailSlow FailMode = "slow"
)

// Failure makes a stand-in fail on demand.
type Failure struct {
	// Mode is how to fail; FailNone answers normally.
	Mode FailMode
	// Path limits the failure to requests for this path; "" means every
	// path.
	Path string
	// Delay is FailSlow's wait (default 10 s).
	Delay time.Duration
}

// Config configures a stand-in.
type Config struct {
	// Models are the models served, in listing order.
	Models []Model
	// APIKey, when set, is the key the server requires as
	// "Authorization: Bearer KEY" (vLLM on /v1/*, LMDeploy everywhere but
	// /health; Ollama has no auth and ignores it).
	APIKey string
	// Version is the server version copied, which selects version-specific
	// shapes: vLLM before 0.10.1 sends flat 404 bodies; LMDeploy before 0.14
	// answers /health with an empty body and uses "invalid_request_error";
	// Ollama before 0.6.4 has no /api/show capabilities.
	Version string
	// Status is the health state: "" is up. vLLM: "dead" makes /health
	// answer 503. LMDeploy (0.14+): "healthy", "sleeping" (both 200),
	// "unhealthy", "initializing" (503); before 0.14 anything but "" or
	// "healthy" is an empty 503. Ollama ignores it.
	Status string
	// Fail makes the stand-in fail on demand.
	Fail Failure
	// EchoAuth makes the stand-in hostile: its 401 answer repeats the
	// request's Authorization header (as some proxies and debug builds
	// do). No real server shape requires it.
	EchoAuth bool
	// ChunkDelay is waited before each chunk of a streamed answer that
	// carries text (a chat's role chunk and each word; each word of a
	// completion), so a client sees chunks arrive apart. Zero streams at
	// once.
	ChunkDelay time.Duration
	// ChunkStamp adds to every streamed JSON chunk (chat and completion)
	// a member "standin_sent_unix_ns": the wall clock, in Unix
	// nanoseconds, just before the chunk is written. A client on the same
	// host subtracts it from the time it reads the chunk: how long the
	// chunk took from the server to it (through a proxy, say).
	ChunkStamp bool
	// BodyLog, when set, receives one JSON line per request received,
	// before any failure is applied: {"method":...,"path":...,"body":...}
	// with the body as a JSON string (exact for UTF-8 bodies). Writes are
	// serialised by the server; read it after Close.
	BodyLog io.Writer
}

// Request is a request a stand-in received.
type Request struct {
	Method string      // HTTP method
	Path   string      // URL path
	Query  string      // raw query, without "?"
	Header http.Header // request headers
	Body   []byte      // the whole body
}

// DecodeJSON decodes the request body into v.
func (r Request) DecodeJSON(v any) error { return json.Unmarshal(r.Body, v) }

// Server is a running stand-in.
type Server struct {
	// URL is the server's root, http://127.0.0.1:PORT, without /v1.
	URL  string
	kind Kind
	ts   *httptest.Server

	mu     sync.Mutex
	cfg    Config
	reqs   []Request
	onReq  func(Request)
	closed bool
	loaded map[string]time.Time // Ollama: loaded models by name, with their expiry
}

// NewVLLM starts a vLLM stand-in on 127.0.0.1 at a free port.
func NewVLLM(cfg Config) *Server { return start(VLLM, cfg, nil) }

// NewLMDeploy starts an LMDeploy stand-in on 127.0.0.1 at a free port.
func NewLMDeploy(cfg Config) *Server { return start(LMDeploy, cfg, nil) }

// NewOllama starts an Ollama stand-in on 127.0.0.1 at a free port.
func NewOllama(cfg Config) *Server { return start(Ollama, cfg, nil) }

// NewOpenAI starts a plain OpenAI-compatible stand-in (see OpenAI) on
// 127.0.0.1 at a free port.
func NewOpenAI(cfg Config) *Server { return start(OpenAI, cfg, nil) }

// New starts a stand-in of the named kind. It fails for an unknown kind.
func New(kind Kind, cfg Config) (*Server, error) {
	switch kind {
	case VLLM, LMDeploy, Ollama, OpenAI:
		return start(kind, cfg, nil), nil
	}
	return nil, fmt.Errorf("standin: unknown server kind %q (want vllm, lmdeploy, ollama or openai)", kind)
}

func start(kind Kind, cfg Config, ln net.Listener) *Server {
	if cfg.Version == "" {
		switch kind {
		case VLLM:
			cfg.Version = DefaultVLLMVersion
		case LMDeploy:
			cfg.Version = DefaultLMDeployVersion
		case Ollama:
			cfg.Version = DefaultOllamaVersion
		}
	}
	s := &Server{kind: kind, cfg: cfg}
	var h http.Handler
	switch kind {
	case VLLM:
		h = s.vllmHandler()
	case LMDeploy:
		h = s.lmdeployHandler()
	case OpenAI:
		h = s.openAIHandler()
	default:
		h = s.ollamaHandler()
	}
	s.ts = httptest.NewUnstartedServer(s.record(h))
	if ln != nil {
		s.ts.Listener.Close()
		s.ts.Listener = ln
	}
	s.ts.Start()
	s.URL = s.ts.URL
	return s
}

// Endpoint returns the OpenAI-compatible base URL, URL + "/v1".
func (s *Server) Endpoint() string { return s.URL + "/v1" }

// Requests returns a copy of every request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.reqs))
	copy(out, s.reqs)
	return out
}

// RequestsTo returns the requests received for path, in order.
func (s *Server) RequestsTo(path string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// SetFailure changes the failure mode of a running stand-in.
func (s *Server) SetFailure(f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Fail = f
}

// SetStatus changes the health state of a running stand-in (see
// Config.Status).
func (s *Server) SetStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.Status = status
}

// Close shuts the stand-in down, waiting for requests in flight (slow ones
// end as soon as their client gives up). Closing twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.ts.CloseClientConnections()
	s.ts.Close()
}

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// record stores each request, then applies the configured failure before
// handing over to h.
func (s *Server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		logBody(s.cfg.BodyLog, rec)
		on := s.onReq
		s.mu.Unlock()
		if on != nil {
			on(rec)
		}
		f := s.config().Fail
		if f.Mode != FailNone && (f.Path == "" || f.Path == r.URL.Path) {
			switch f.Mode {
			case FailInternal:
				s.writeError(w, http.StatusInternalServerError, "Internal server error", "InternalServerError")
				return
			case FailBadJSON:
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				io.WriteString(w, `{"object":"list","data":[{"id":`)
				return
			case FailSlow:
				d := f.Delay
				if d <= 0 {
					d = 10 * time.Second
				}
				t := time.NewTimer(d)
				defer t.Stop()
				select {
				case <-t.C:
				case <-r.Context().Done():
					return
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries the configured key; it answers 401
// in the server's shape when not.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	key := s.config().APIKey
	if key == "" {
		return true
	}
	if r.Header.Get("Authorization") == "Bearer "+key {
		return true
	}
	if s.config().EchoAuth {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized: Authorization: " + r.Header.Get("Authorization")})
		return false
	}
	if s.kind == LMDeploy && !versionBefore(s.config().Version, "0.14") {
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"message": "Please request with valid api key!", "type": "authentication_error",
			"code": 401, "param": nil, "object": "error",
		})
		return false
	}
	writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized"})
	return false
}

// writeError answers an error in the server's shape.
func (s *Server) writeError(w http.ResponseWriter, status int, msg, typ string) {
	switch s.kind {
	case VLLM:
		if versionBefore(s.config().Version, "0.10.1") {
			writeJSON(w, status, map[string]any{"object": "error", "message": msg, "type": typ, "param": nil, "code": status})
			return
		}
		writeJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": status}})
	case LMDeploy:
		writeJSON(w, status, map[string]any{"message": msg, "type": typ, "code": status, "param": nil, "object": "error"})
	default:
		writeJSON(w, status, map[string]any{"error": msg})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// find returns the model served under id (any vLLM alias counts), or nil.
func (s *Server) find(id string, canon func(string) string) *Model {
	if canon == nil {
		canon = func(s string) string { return s }
	}
	cfg := s.config()
	for i := range cfg.Models {
		m := &cfg.Models[i]
		if canon(m.ID) == canon(id) {
			return m
		}
		for _, a := range m.Aliases {
			if canon(a) == canon(id) {
				return m
			}
		}
	}
	return nil
}

// versionBefore reports whether dotted version v is older than ref. Parts
// that are not numbers count as 0; an empty v is never older.
func versionBefore(v, ref string) bool {
	if v == "" {
		return false
	}
	a, b := versionParts(v), versionParts(ref)
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func versionParts(v string) []int {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	var out []int
	for _, p := range strings.Split(v, ".") {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
		out = append(out, n)
	}
	return out
}
