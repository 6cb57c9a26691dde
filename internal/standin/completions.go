package standin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// EmbeddingDims is the length of a stand-in's embeddings.
const EmbeddingDims = 8

// Embed is the embedding every stand-in model gives text: the SHA-256 of
// text read as EmbeddingDims big-endian uint32s, each mapped to u/2³¹ − 1,
// and the vector scaled to length 1. A list of token ids is embedded as its
// JSON text ("[1,2,3]").
func Embed(text string) []float64 {
	sum := sha256.Sum256([]byte(text))
	v := make([]float64, EmbeddingDims)
	var norm float64
	for i := range v {
		u := binary.BigEndian.Uint32(sum[4*i:])
		v[i] = float64(u)/(1<<31) - 1
		norm += v[i] * v[i]
	}
	if norm = math.Sqrt(norm); norm > 0 {
		for i := range v {
			v[i] /= norm
		}
	}
	return v
}

// addTextRoutes adds POST /v1/completions and POST /v1/embeddings to mux,
// behind the API key when guarded.
func (s *Server) addTextRoutes(mux *http.ServeMux, guarded bool) {
	guard := func(h http.HandlerFunc) http.HandlerFunc {
		if !guarded {
			return h
		}
		return func(w http.ResponseWriter, r *http.Request) {
			if s.authorized(w, r) {
				h(w, r)
			}
		}
	}
	mux.HandleFunc("POST /v1/completions", guard(s.openAICompletion))
	mux.HandleFunc("POST /v1/embeddings", guard(s.openAIEmbedding))
}

// textInput is one prompt or embedding input: a text, or token ids read as
// their JSON text.
type textInput struct {
	text   string
	tokens int
}

// textInputs reads an OpenAI prompt or input field: a string, a list of
// strings, a list of token ids, or a list of such lists.
func textInputs(raw json.RawMessage) ([]textInput, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []textInput{{one, tokens(one)}}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil && len(many) > 0 {
		out := make([]textInput, len(many))
		for i, t := range many {
			out[i] = textInput{t, tokens(t)}
		}
		return out, nil
	}
	ids := func(l []int) textInput {
		b, _ := json.Marshal(l)
		return textInput{string(b), len(l)}
	}
	var toks []int
	if err := json.Unmarshal(raw, &toks); err == nil && len(toks) > 0 {
		return []textInput{ids(toks)}, nil
	}
	var lists [][]int
	if err := json.Unmarshal(raw, &lists); err == nil && len(lists) > 0 {
		out := make([]textInput, len(lists))
		for i, l := range lists {
			out[i] = ids(l)
		}
		return out, nil
	}
	return nil, errors.New("want a string, a list of strings, or token ids")
}

// openAIModel finds the model a request names, answering 404 in the
// server's shape when it is not served.
func (s *Server) openAIModel(w http.ResponseWriter, id string) *Model {
	if m := s.chatModel(id); m != nil {
		return m
	}
	q, typ := "`", "NotFoundError"
	if s.kind == LMDeploy {
		q, typ = "'", "not_found_error"
		if versionBefore(s.config().Version, "0.14") {
			typ = "invalid_request_error"
		}
	}
	s.oaiError(w, http.StatusNotFound, fmt.Sprintf("The model %s%s%s does not exist.", q, id, q), typ)
	return nil
}

// openAICompletion answers POST /v1/completions: one choice per prompt,
// each the model's answer to a question without images. With "stream":
// true it streams one text_completion chunk per word (Config.ChunkDelay
// before each), a chunk with finish_reason "stop" per prompt, the usage
// when stream_options.include_usage is set, and [DONE].
func (s *Server) openAICompletion(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model         string          `json:"model"`
		Prompt        json.RawMessage `json:"prompt"`
		Stream        bool            `json:"stream"`
		StreamOptions *streamOptions  `json:"stream_options"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.oaiError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), s.badRequestType())
		return
	}
	m := s.openAIModel(w, req.Model)
	if m == nil {
		return
	}
	prompts, err := textInputs(req.Prompt)
	if err != nil {
		s.oaiError(w, http.StatusBadRequest, "prompt: "+err.Error(), s.badRequestType())
		return
	}
	text := answer(m, nil)
	promptTokens := 0
	for _, p := range prompts {
		promptTokens += p.tokens
	}
	u := usage(promptTokens, len(prompts)*tokens(text))
	id := fmt.Sprintf("cmpl-%d", time.Now().UnixNano())
	object := func(choices []map[string]any) map[string]any {
		return map[string]any{"id": id, "object": "text_completion", "created": created, "model": req.Model, "choices": choices}
	}
	choice := func(i int, text string, finish any) map[string]any {
		return map[string]any{"index": i, "text": text, "logprobs": nil, "finish_reason": finish}
	}
	if !req.Stream {
		var choices []map[string]any
		for i := range prompts {
			choices = append(choices, choice(i, text, "stop"))
		}
		out := object(choices)
		out["usage"] = u
		writeJSON(w, http.StatusOK, out)
		return
	}
	cfg := s.config()
	e := startSSE(w, r, cfg.ChunkDelay, cfg.ChunkStamp)
	for i := range prompts {
		for _, word := range words(text) {
			if !e.sendAfterDelay(object([]map[string]any{choice(i, word, nil)})) {
				return
			}
		}
		if !e.send(object([]map[string]any{choice(i, "", "stop")})) {
			return
		}
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		out := object([]map[string]any{})
		out["usage"] = u
		if !e.send(out) {
			return
		}
	}
	e.done()
}

// openAIEmbedding answers POST /v1/embeddings with Embed of each input, as
// floats or, with "encoding_format": "base64", as base64 of little-endian
// float32s.
func (s *Server) openAIEmbedding(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		s.oaiError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error(), s.badRequestType())
		return
	}
	if s.openAIModel(w, req.Model) == nil {
		return
	}
	inputs, err := textInputs(req.Input)
	if err != nil {
		s.oaiError(w, http.StatusBadRequest, "input: "+err.Error(), s.badRequestType())
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		s.oaiError(w, http.StatusBadRequest, fmt.Sprintf("encoding_format %q: want float or base64", req.EncodingFormat), s.badRequestType())
		return
	}
	data := make([]map[string]any, len(inputs))
	n := 0
	for i, in := range inputs {
		var emb any = Embed(in.text)
		if req.EncodingFormat == "base64" {
			var b []byte
			for _, f := range Embed(in.text) {
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
			}
			emb = base64.StdEncoding.EncodeToString(b)
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": emb}
		n += in.tokens
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": fmt.Sprintf("embd-%d", time.Now().UnixNano()), "object": "list", "created": created,
		"model": req.Model, "data": data,
		"usage": map[string]int{"prompt_tokens": n, "total_tokens": n},
	})
}
