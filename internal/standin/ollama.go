package standin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ollamaCanon makes Ollama names comparable: lower case, ":latest" when no
// tag is given.
func ollamaCanon(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	last := name[strings.LastIndex(name, "/")+1:]
	if name != "" && !strings.Contains(last, ":") {
		name += ":latest"
	}
	return name
}

// ollamaName is a model's name as Ollama lists it: its id with ":latest"
// added when it has no tag.
func ollamaName(m *Model) string {
	last := m.ID[strings.LastIndex(m.ID, "/")+1:]
	if !strings.Contains(last, ":") {
		return m.ID + ":latest"
	}
	return m.ID
}

const ollamaModified = "2025-05-10T08:06:48.63-07:00"

func (m *Model) ollamaDigest() string {
	if m.Digest != "" {
		return m.Digest
	}
	sum := sha256.Sum256([]byte(m.ID))
	return hex.EncodeToString(sum[:])
}

func (m *Model) ollamaFamily() string {
	if m.Family != "" {
		return m.Family
	}
	return "llama"
}

func (m *Model) ollamaDetails() map[string]any {
	fams := []string{m.ollamaFamily()}
	if m.Vision {
		fams = append(fams, "clip")
	}
	ps, q := m.ParameterSize, m.Quantization
	if ps == "" {
		ps = "7B"
	}
	if q == "" {
		q = "Q4_0"
	}
	return map[string]any{
		"parent_model": "", "format": "gguf", "family": m.ollamaFamily(), "families": fams,
		"parameter_size": ps, "quantization_level": q,
	}
}

func (m *Model) ollamaSize() int64 {
	if m.Size != 0 {
		return m.Size
	}
	return 4683075271
}

func (m *Model) ollamaContext() int64 {
	if m.ContextLength != 0 {
		return m.ContextLength
	}
	return 8192
}

func (m *Model) ollamaCapabilities() []string {
	if m.Capabilities != nil {
		return m.Capabilities
	}
	caps := []string{"completion"}
	if m.Vision {
		caps = append(caps, "vision")
	}
	return caps
}

func (s *Server) ollamaHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Ollama is running")
	})
	mux.HandleFunc("HEAD /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": s.config().Version})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		models := []map[string]any{}
		cfg := s.config()
		for i := range cfg.Models {
			models = append(models, s.ollamaTag(&cfg.Models[i]))
		}
		writeJSON(w, http.StatusOK, map[string]any{"models": models})
	})
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, r *http.Request) {
		models := []map[string]any{}
		cfg := s.config()
		for i := range cfg.Models {
			m := &cfg.Models[i]
			t := s.ollamaTag(m)
			delete(t, "modified_at")
			t["expires_at"] = "2025-05-10T08:11:48.63-07:00"
			t["size_vram"] = m.ollamaSize()
			t["context_length"] = m.ollamaContext()
			models = append(models, t)
		}
		writeJSON(w, http.StatusOK, map[string]any{"models": models})
	})
	mux.HandleFunc("POST /api/show", s.ollamaShow)
	mux.HandleFunc("POST /api/chat", s.ollamaChat)
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		data := []map[string]any{}
		cfg := s.config()
		for i := range cfg.Models {
			m := &cfg.Models[i]
			owner := "library"
			if ns, _, ok := strings.Cut(m.ID, "/"); ok {
				owner = ns
			}
			data = append(data, map[string]any{"id": ollamaName(m), "object": "model", "created": created, "owned_by": owner})
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		s.openAIChat(w, r, false)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
	})
	return mux
}

func (s *Server) ollamaTag(m *Model) map[string]any {
	return map[string]any{
		"name": ollamaName(m), "model": ollamaName(m), "modified_at": ollamaModified,
		"size": m.ollamaSize(), "digest": m.ollamaDigest(), "details": m.ollamaDetails(),
	}
}

func (s *Server) ollamaShow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "model is required"})
		return
	}
	m := s.find(name, ollamaCanon)
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", name)})
		return
	}
	fam := m.ollamaFamily()
	out := map[string]any{
		"license":    "",
		"modelfile":  "# Modelfile generated by \"ollama show\"\nFROM " + ollamaName(m) + "\n",
		"parameters": "stop \"<|im_end|>\"",
		"template":   "{{ .Prompt }}",
		"details":    m.ollamaDetails(),
		"model_info": map[string]any{
			"general.architecture":  fam,
			fam + ".context_length": m.ollamaContext(),
		},
		"modified_at": ollamaModified,
	}
	if !versionBefore(s.config().Version, "0.6.4") {
		out["capabilities"] = m.ollamaCapabilities()
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string   `json:"role"`
			Content string   `json:"content"`
			Images  [][]byte `json:"images"` // base64 strings, no data: prefix
		} `json:"messages"`
		Stream *bool `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "illegal base64"); i >= 0 {
			msg = msg[i:]
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
		return
	}
	if req.Model == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "model is required"})
		return
	}
	m := s.find(req.Model, ollamaCanon)
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", req.Model)})
		return
	}
	var images [][]byte
	for _, msg := range req.Messages {
		images = append(images, msg.Images...)
	}
	text := answer(m, images)
	now := time.Date(2025, 5, 10, 8, 6, 48, 0, time.UTC).Format(time.RFC3339Nano)
	final := map[string]any{
		"model": req.Model, "created_at": now,
		"message": map[string]any{"role": "assistant", "content": text},
		"done":    true, "done_reason": "stop",
		"total_duration": 1668506709, "load_duration": 1986209,
		"prompt_eval_count": 26, "prompt_eval_duration": 325953000,
		"eval_count": len(strings.Fields(text)), "eval_duration": 1303285000,
	}
	if req.Stream != nil && !*req.Stream {
		writeJSON(w, http.StatusOK, final)
		return
	}
	// Streaming (the default): one JSON object per line, the last done.
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	for _, word := range strings.SplitAfter(text, " ") {
		enc.Encode(map[string]any{
			"model": req.Model, "created_at": now,
			"message": map[string]any{"role": "assistant", "content": word}, "done": false,
		})
	}
	final["message"] = map[string]any{"role": "assistant", "content": ""}
	enc.Encode(final)
}
