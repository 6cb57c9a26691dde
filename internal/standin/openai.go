package standin

import (
	"io"
	"net/http"
	"strings"
)

// openAIHandler is a plain OpenAI-compatible server, copied from Ollama's
// /v1 layer as seen against a real Ollama (docs/backend-apis.md, "Other
// OpenAI-compatible servers"): GET /v1/models, POST /v1/chat/completions,
// /v1/completions and /v1/embeddings only, no /health and no /version (404
// "404 page not found"), no key checked, and an image sent to a model that
// cannot see is answered with text rather than refused.
func (s *Server) openAIHandler() http.Handler {
	mux := http.NewServeMux()
	s.ollamaV1(mux, func(m *Model) string { return m.ID })
	return mux
}

// ollamaV1 adds Ollama's /v1 layer to mux, listing each model under id(m),
// and its 404 for every other route.
func (s *Server) ollamaV1(mux *http.ServeMux, id func(*Model) string) {
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		data := []map[string]any{}
		cfg := s.config()
		for i := range cfg.Models {
			m := &cfg.Models[i]
			owner := "library"
			if ns, _, ok := strings.Cut(m.ID, "/"); ok {
				owner = ns
			}
			data = append(data, map[string]any{"id": id(m), "object": "model", "created": created, "owned_by": owner})
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		s.openAIChat(w, r, false)
	})
	s.addTextRoutes(mux, false)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "404 page not found")
	})
}
