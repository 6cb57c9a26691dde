package standin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// created is the fixed "created" time stand-ins report.
const created = 1718000000

func (s *Server) vllmHandler() http.Handler {
	mux := http.NewServeMux()
	health := func(w http.ResponseWriter, r *http.Request) {
		if s.config().Status == "dead" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK) // empty body
	}
	mux.HandleFunc("GET /health", health)
	mux.HandleFunc("GET /ping", health)
	mux.HandleFunc("POST /ping", health)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": s.config().Version})
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": s.vllmCards()})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		s.openAIChat(w, r, true)
	})
	s.addTextRoutes(mux, true)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(w, r) {
			return
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	})
	return mux
}

// vllmCards lists one card per served alias, and one per LoRA adapter.
func (s *Server) vllmCards() []map[string]any {
	var cards []map[string]any
	for _, m := range s.config().Models {
		perm := []map[string]any{{
			"id": "modelperm-" + strings.ReplaceAll(m.ID, "/", "-"), "object": "model_permission",
			"created": created, "allow_create_engine": false, "allow_sampling": true,
			"allow_logprobs": true, "allow_search_indices": false, "allow_view": true,
			"allow_fine_tuning": false, "organization": "*", "group": nil, "is_blocking": false,
		}}
		if m.Parent != "" {
			root := m.Root
			if root == "" {
				root = "/adapters/" + m.ID
			}
			cards = append(cards, map[string]any{
				"id": m.ID, "object": "model", "created": created, "owned_by": "vllm",
				"root": root, "parent": m.Parent, "max_model_len": nil, "permission": perm,
			})
			continue
		}
		root := m.Root
		if root == "" {
			root = "/models/" + m.ID
		}
		ctxLen := m.ContextLength
		if ctxLen == 0 {
			ctxLen = 32768
		}
		for _, id := range append([]string{m.ID}, m.Aliases...) {
			cards = append(cards, map[string]any{
				"id": id, "object": "model", "created": created, "owned_by": "vllm",
				"root": root, "parent": nil, "max_model_len": ctxLen, "permission": perm,
			})
		}
	}
	return cards
}

// openAIChat answers POST /v1/chat/completions the way vLLM
// (rejectBlindImages) or LMDeploy (images to text-only models dropped) do.
func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request, rejectBlindImages bool) {
	var req oaiChat
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.oaiError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), s.badRequestType())
		return
	}
	m := s.chatModel(req.Model)
	if m == nil {
		q := "`"
		typ := "NotFoundError"
		if s.kind == LMDeploy {
			q = "'"
			typ = "not_found_error"
			if versionBefore(s.config().Version, "0.14") {
				typ = "invalid_request_error"
			}
		}
		s.oaiError(w, http.StatusNotFound, fmt.Sprintf("The model %s%s%s does not exist.", q, req.Model, q), typ)
		return
	}
	urls, err := req.imageURLs()
	if err != nil {
		s.oaiError(w, http.StatusBadRequest, err.Error(), s.badRequestType())
		return
	}
	if len(urls) > 0 && !m.Vision && rejectBlindImages {
		s.oaiError(w, http.StatusBadRequest, req.Model+" is not a multimodal model", "BadRequestError")
		return
	}
	var images [][]byte
	for _, u := range urls {
		b, err := decodeDataURL(u)
		if err != nil {
			s.oaiError(w, http.StatusBadRequest, err.Error(), s.badRequestType())
			return
		}
		images = append(images, b)
	}
	text := answer(m, images)
	if req.Stream {
		s.streamChat(w, r, req, text)
		return
	}
	msg := map[string]any{"role": "assistant", "content": text}
	switch s.kind {
	case VLLM:
		msg["tool_calls"] = []any{}
		msg["reasoning_content"] = nil
	case LMDeploy:
		msg["tool_calls"] = nil
		msg["reasoning_content"] = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":      fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano()),
		"object":  "chat.completion",
		"created": created,
		"model":   req.Model,
		"choices": []map[string]any{{"index": 0, "message": msg, "logprobs": nil, "finish_reason": "stop"}},
		"usage": map[string]int{
			"prompt_tokens": 85, "completion_tokens": len(strings.Fields(text)),
			"total_tokens": 85 + len(strings.Fields(text)),
		},
	})
}

// chatModel finds the model a chat asks for. vLLM uses its first model when
// none is named; LMDeploy requires the name.
func (s *Server) chatModel(id string) *Model {
	if id == "" && s.kind == VLLM {
		if ms := s.config().Models; len(ms) > 0 {
			return &ms[0]
		}
	}
	if id == "" {
		return nil
	}
	if s.kind == Ollama {
		return s.find(id, ollamaCanon)
	}
	return s.find(id, nil)
}

// oaiError answers an error on the OpenAI-compatible routes: the server's
// own shape, except Ollama (and the plain OpenAI stand-in, its copy), whose
// /v1 layer nests it.
func (s *Server) oaiError(w http.ResponseWriter, status int, msg, typ string) {
	if s.kind == Ollama || s.kind == OpenAI {
		writeJSON(w, status, map[string]any{"error": map[string]any{
			"message": msg, "type": "invalid_request_error", "param": nil, "code": nil,
		}})
		return
	}
	s.writeError(w, status, msg, typ)
}

func (s *Server) badRequestType() string {
	if s.kind == VLLM {
		return "BadRequestError"
	}
	return "invalid_request_error"
}
