package standin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// Ollama's loading and unloading: POST /api/generate without a prompt loads
// the model for keep_alive (-1: for good; 0: unloads it), /api/chat loads
// it for five minutes, and GET /api/ps lists what is loaded.

// ollamaForever is how Ollama 0.13 reports the expiry of a model kept
// loaded for good (keep_alive -1): a date centuries ahead.
var ollamaForever = time.Date(2318, 3, 4, 14, 40, 53, 0, time.UTC)

// ollamaNow is the stand-in's fixed clock for created_at and expiries.
var ollamaNow = time.Date(2025, 5, 10, 8, 6, 48, 0, time.UTC)

// load marks m loaded for keepAlive (negative: for good; 0: unloaded).
func (s *Server) load(m *Model, keepAlive time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded == nil {
		s.loaded = map[string]time.Time{}
	}
	name := ollamaName(m)
	switch {
	case keepAlive == 0:
		delete(s.loaded, name)
	case keepAlive < 0:
		s.loaded[name] = ollamaForever
	default:
		s.loaded[name] = ollamaNow.Add(keepAlive)
	}
}

// Loaded returns the names of the models an Ollama stand-in has loaded,
// sorted.
func (s *Server) Loaded() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.loaded {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model     string          `json:"model"`
		Prompt    string          `json:"prompt"`
		KeepAlive json.RawMessage `json:"keep_alive"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	m := s.ollamaFind(w, req.Model)
	if m == nil {
		return
	}
	if req.Prompt != "" {
		writeJSON(w, http.StatusNotImplemented, map[string]string{"error": "the stand-in only loads and unloads through /api/generate"})
		return
	}
	keep, err := keepAlive(req.KeepAlive)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	s.load(m, keep)
	reason := "load"
	if keep == 0 {
		reason = "unload"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"model": req.Model, "created_at": ollamaNow.Format(time.RFC3339Nano),
		"response": "", "done": true, "done_reason": reason,
	})
}

// keepAlive reads keep_alive as Ollama does: a number of seconds, a
// duration string, or absent (five minutes).
func keepAlive(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 5 * time.Minute, nil
	}
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		if n < 0 {
			return -1, nil
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil {
		return 0, fmt.Errorf("invalid keep_alive %s", raw)
	}
	d, err := time.ParseDuration(str)
	if err != nil {
		return 0, fmt.Errorf("invalid keep_alive %q", str)
	}
	if d < 0 {
		return -1, nil
	}
	return d, nil
}

func (s *Server) ollamaPS(w http.ResponseWriter, r *http.Request) {
	models := []map[string]any{}
	cfg := s.config()
	s.mu.Lock()
	loaded := make(map[string]time.Time, len(s.loaded))
	for k, v := range s.loaded {
		loaded[k] = v
	}
	s.mu.Unlock()
	for i := range cfg.Models {
		m := &cfg.Models[i]
		exp, ok := loaded[ollamaName(m)]
		if !ok {
			continue
		}
		t := s.ollamaTag(m)
		delete(t, "modified_at")
		t["expires_at"] = exp.Format(time.RFC3339Nano)
		t["size_vram"] = m.ollamaSize()
		t["context_length"] = m.ollamaContext()
		models = append(models, t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": models})
}

// ollamaFind returns the model named, or answers as Ollama does when the
// name is empty (400) or unknown (404) and returns nil.
func (s *Server) ollamaFind(w http.ResponseWriter, name string) *Model {
	if name == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "model is required"})
		return nil
	}
	m := s.find(name, ollamaCanon)
	if m == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("model '%s' not found", name)})
	}
	return m
}
