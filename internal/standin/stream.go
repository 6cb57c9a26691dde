package standin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// sse writes a text/event-stream answer the way the OpenAI-compatible
// servers stream: one "data: JSON\n\n" event per chunk, each flushed at
// once, and "data: [DONE]\n\n" at the end.
type sse struct {
	w     http.ResponseWriter
	rc    *http.ResponseController
	ctx   context.Context
	delay time.Duration
	stamp bool // Config.ChunkStamp
}

// startSSE sends the status and headers of a stream and flushes them, so a
// client sees the answer begin before the first token. Chunks sent with
// sendAfterDelay wait delay first. With stamp set, every chunk carries
// Config.ChunkStamp's member.
func startSSE(w http.ResponseWriter, r *http.Request, delay time.Duration, stamp bool) *sse {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	e := &sse{w: w, rc: http.NewResponseController(w), ctx: r.Context(), delay: delay, stamp: stamp}
	e.rc.Flush()
	return e
}

// sendAfterDelay waits the chunk delay, then sends v. It reports false
// when the client went away.
func (e *sse) sendAfterDelay(v any) bool {
	if e.delay > 0 {
		t := time.NewTimer(e.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-e.ctx.Done():
			return false
		}
	}
	return e.send(v)
}

// send writes v as one data event and flushes it. It reports false when
// the write failed (the client went away).
func (e *sse) send(v any) bool {
	if m, ok := v.(map[string]any); ok && e.stamp {
		m[StampMember] = time.Now().UnixNano()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return e.raw(b)
}

// done ends the stream with the [DONE] event.
func (e *sse) done() { e.raw([]byte("[DONE]")) }

func (e *sse) raw(data []byte) bool {
	buf := make([]byte, 0, len(data)+8)
	buf = append(append(append(buf, "data: "...), data...), "\n\n"...)
	if _, err := e.w.Write(buf); err != nil {
		return false
	}
	return e.rc.Flush() == nil
}

// words splits an answer into the pieces streamed one chunk each: every
// word with the space that follows it, so the pieces join back into text.
func words(text string) []string {
	if text == "" {
		return nil
	}
	return strings.SplitAfter(text, " ")
}

// tokens is the stand-ins' token count of a text: its words.
func tokens(text string) int { return len(strings.Fields(text)) }

// usage is an OpenAI usage object.
func usage(prompt, completion int) map[string]int {
	return map[string]int{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
}

// streamChat answers a chat request with "stream": true: a chunk with the
// assistant role, one chunk per word of text, a chunk with finish_reason
// "stop", then, when stream_options.include_usage is set, a chunk with no
// choices and the usage, and [DONE]. Config.ChunkDelay is waited before
// the role chunk and before every word.
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req oaiChat, text string) {
	cfg := s.config()
	e := startSSE(w, r, cfg.ChunkDelay, cfg.ChunkStamp)
	id := fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano())
	chunk := func(choices []map[string]any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model, "choices": choices}
	}
	choice := func(delta map[string]any, finish any) []map[string]any {
		return []map[string]any{{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}
	}
	if !e.sendAfterDelay(chunk(choice(map[string]any{"role": "assistant", "content": ""}, nil))) {
		return
	}
	for _, word := range words(text) {
		if !e.sendAfterDelay(chunk(choice(map[string]any{"content": word}, nil))) {
			return
		}
	}
	if !e.send(chunk(choice(map[string]any{}, "stop"))) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		u := chunk([]map[string]any{})
		u["usage"] = usage(85, tokens(text))
		if !e.send(u) {
			return
		}
	}
	e.done()
}
