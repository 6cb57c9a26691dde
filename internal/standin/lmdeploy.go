package standin

import (
	"net/http"
)

func (s *Server) lmdeployHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		cfg := s.config()
		status := cfg.Status
		if status == "" {
			status = "healthy"
		}
		up := status == "healthy" || status == "sleeping"
		if versionBefore(cfg.Version, "0.14") {
			if up {
				w.WriteHeader(http.StatusOK) // empty body up to 0.13
			} else {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		code := http.StatusOK
		if !up {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]string{"status": status, "message": "server is " + status})
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		var cards []map[string]any
		for _, m := range s.config().Models {
			root := m.Root
			if root == "" {
				root = m.ID
			}
			cards = append(cards, map[string]any{
				"id": m.ID, "object": "model", "created": created, "owned_by": "lmdeploy",
				"root": root, "parent": nil,
				"permission": []map[string]any{{
					"id": "modelperm-" + m.ID, "object": "model_permission", "created": created,
					"allow_create_engine": false, "allow_sampling": true, "allow_logprobs": true,
					"allow_search_indices": true, "allow_view": true, "allow_fine_tuning": false,
					"organization": "*", "group": nil, "is_blocking": false,
				}},
			})
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": cards})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		s.openAIChat(w, r, false)
	})
	s.addTextRoutes(mux, true)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	})
	return mux
}
