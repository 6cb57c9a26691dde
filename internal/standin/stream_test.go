package standin

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// event is one server-sent event: its data and when it was read.
type event struct {
	data string
	at   time.Time
}

// readEvents reads "data: X\n\n" events until the body ends, failing on
// any other framing.
func readEvents(t *testing.T, body io.Reader) []event {
	t.Helper()
	br := bufio.NewReader(body)
	var out []event
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return out
		}
		if err != nil {
			t.Fatalf("reading the stream after %d events: %v (partial line %q)", len(out), err, line)
		}
		at := time.Now()
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || !strings.HasSuffix(data, "\n") {
			t.Fatalf("stream line %q after %d events, want \"data: ...\\n\"", line, len(out))
		}
		if blank, err := br.ReadString('\n'); blank != "\n" || err != nil {
			t.Fatalf("after event %q: %q, %v, want a blank line", data, blank, err)
		}
		out = append(out, event{strings.TrimSuffix(data, "\n"), at})
	}
}

// postStream posts body to url and returns the response with its events.
func postStream(t *testing.T, url, key, body string) (*http.Response, []event) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s = %d %s, want 200", url, resp.StatusCode, b)
	}
	return resp, readEvents(t, resp.Body)
}

// chatChunk is the part of a chat.completion.chunk the tests read.
type chatChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role    *string `json:"role"`
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func streamChatBody(model, extra string) string {
	return `{"model":"` + model + `","stream":true` + extra + `,"messages":[{"role":"user","content":"hi"}]}`
}

func TestStreamChat(t *testing.T) {
	const text = "A red square, seen plainly."
	for _, kind := range []Kind{VLLM, LMDeploy, Ollama, OpenAI} {
		for _, withUsage := range []bool{false, true} {
			name := string(kind)
			extra := ""
			if withUsage {
				name += " usage"
				extra = `,"stream_options":{"include_usage":true}`
			}
			t.Run(name, func(t *testing.T) {
				s, _ := New(kind, Config{APIKey: "k", Models: []Model{{ID: "m:7b", Answer: text}}})
				defer s.Close()
				resp, events := postStream(t, s.URL+"/v1/chat/completions", "k", streamChatBody("m:7b", extra))
				if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
					t.Errorf("Content-Type = %q, want text/event-stream", ct)
				}
				words := strings.Fields(text)
				want := 1 + len(words) + 1 + 1 // role, words, finish, [DONE]
				if withUsage {
					want++
				}
				if len(events) != want {
					t.Fatalf("got %d events %v, want %d", len(events), events, want)
				}
				if last := events[len(events)-1].data; last != "[DONE]" {
					t.Errorf("last event = %q, want [DONE]", last)
				}
				chunks := make([]chatChunk, len(events)-1)
				for i, e := range events[:len(events)-1] {
					if err := json.Unmarshal([]byte(e.data), &chunks[i]); err != nil {
						t.Fatalf("event %d %q: %v", i, e.data, err)
					}
					c := chunks[i]
					if c.Object != "chat.completion.chunk" || c.Model != "m:7b" || c.ID != chunks[0].ID || c.ID == "" {
						t.Errorf("chunk %d = %s, want a chat.completion.chunk of m:7b with the stream's id", i, e.data)
					}
				}
				first := chunks[0]
				if len(first.Choices) != 1 || first.Choices[0].Delta.Role == nil || *first.Choices[0].Delta.Role != "assistant" {
					t.Errorf("first chunk = %s, want delta.role assistant", events[0].data)
				}
				var got strings.Builder
				for i, c := range chunks[1 : 1+len(words)] {
					if len(c.Choices) != 1 || c.Choices[0].Delta.Content == nil || c.Choices[0].FinishReason != nil {
						t.Fatalf("word chunk %d = %s, want one content delta, no finish_reason", i, events[1+i].data)
					}
					got.WriteString(*c.Choices[0].Delta.Content)
				}
				if got.String() != text {
					t.Errorf("content deltas join to %q, want %q", got.String(), text)
				}
				fin := chunks[1+len(words)]
				if len(fin.Choices) != 1 || fin.Choices[0].FinishReason == nil || *fin.Choices[0].FinishReason != "stop" {
					t.Errorf("finish chunk = %s, want finish_reason stop", events[1+len(words)].data)
				}
				for i, c := range chunks {
					isUsage := withUsage && i == len(chunks)-1
					if (c.Usage != nil) != isUsage {
						t.Errorf("chunk %d = %s: usage present %v, want %v", i, events[i].data, c.Usage != nil, isUsage)
					}
				}
				if withUsage {
					u := chunks[len(chunks)-1]
					if len(u.Choices) != 0 || !strings.Contains(events[len(events)-2].data, `"choices":[]`) {
						t.Errorf("usage chunk = %s, want empty choices", events[len(events)-2].data)
					}
					if u.Usage.CompletionTokens != len(words) || u.Usage.TotalTokens != u.Usage.PromptTokens+len(words) {
						t.Errorf("usage = %+v, want %d completion tokens adding up", *u.Usage, len(words))
					}
				}
			})
		}
	}
}

// TestStreamChatFlushes checks that each chunk leaves the server when it
// is written: with a delay between chunks, the first is read well before
// the last, where without flushing they would arrive together.
func TestStreamChatFlushes(t *testing.T) {
	const delay = 40 * time.Millisecond
	s := NewVLLM(Config{ChunkDelay: delay, Models: []Model{{ID: "m", Answer: "one two three four five"}}})
	defer s.Close()
	sent := time.Now()
	_, events := postStream(t, s.Endpoint()+"/chat/completions", "", streamChatBody("m", ""))
	if len(events) != 8 {
		t.Fatalf("got %d events, want 8 (role, 5 words, finish, [DONE])", len(events))
	}
	// The role chunk and each of the 5 words wait the delay: the last word
	// is written at least 5 delays after the first chunk.
	if d := events[0].at.Sub(sent); d < delay {
		t.Errorf("first chunk read %v after sending, want at least the chunk delay %v", d, delay)
	}
	if d := events[len(events)-1].at.Sub(events[0].at); d < 2*delay {
		t.Errorf("last event read %v after the first, want the chunks apart (delay %v each, 5 of them)", d, delay)
	}
	for i := 1; i < len(events); i++ {
		if events[i].at.Before(events[i-1].at) {
			t.Fatalf("events read out of order")
		}
	}
}

// TestStreamHeadersFirstAndClientGone checks that a stream's headers are
// flushed before the first chunk's delay, and that a client giving up ends
// the stream at once.
func TestStreamHeadersFirstAndClientGone(t *testing.T) {
	s := NewVLLM(Config{ChunkDelay: time.Minute, Models: []Model{{ID: "m"}}})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.Endpoint()+"/chat/completions", strings.NewReader(streamChatBody("m", "")))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST stream with a one-minute chunk delay: %v, want the headers at once", err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("stream answer = %d %q, want 200 text/event-stream", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cancel()
	resp.Body.Close()
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close after the client gave up took %v, want promptly", d)
	}
}

func TestStreamChatErrorsStayJSON(t *testing.T) {
	s := NewVLLM(Config{Models: []Model{{ID: "m"}}})
	defer s.Close()
	status, body := call(t, "POST", s.Endpoint()+"/chat/completions", "", streamChatBody("foo", ""))
	if status != 404 || !strings.Contains(body, `"type":"NotFoundError"`) {
		t.Errorf("streamed chat of an unknown model = %d %s, want vLLM's 404 JSON", status, body)
	}
	status, body = call(t, "POST", s.Endpoint()+"/chat/completions", "", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	if status != 200 || !strings.Contains(body, `"object":"chat.completion"`) {
		t.Errorf("chat without stream = %d %s, want one chat.completion", status, body)
	}
}

// TestStreamChunkStamp checks that with ChunkStamp every streamed chunk of
// a chat and of a completion carries the time it was written: between the
// request and the read, rising chunk by chunk; without it, none does.
func TestStreamChunkStamp(t *testing.T) {
	for _, stamp := range []bool{true, false} {
		s := NewVLLM(Config{ChunkStamp: stamp, ChunkDelay: 5 * time.Millisecond, Models: []Model{{ID: "m", Answer: "one two three"}}})
		for _, tc := range []struct{ path, body string }{
			{"/chat/completions", streamChatBody("m", `,"stream_options":{"include_usage":true}`)},
			{"/completions", `{"model":"m","prompt":"x","stream":true}`},
		} {
			sent := time.Now().UnixNano()
			_, events := postStream(t, s.Endpoint()+tc.path, "", tc.body)
			prev := sent
			for _, ev := range events {
				if ev.data == "[DONE]" {
					continue
				}
				var c map[string]any
				if err := json.Unmarshal([]byte(ev.data), &c); err != nil {
					t.Fatalf("%s: chunk %q: %v", tc.path, ev.data, err)
				}
				v, ok := c[StampMember].(float64)
				if !stamp {
					if ok {
						t.Errorf("%s without ChunkStamp: chunk %s carries %s", tc.path, ev.data, StampMember)
					}
					continue
				}
				at := int64(v)
				if !ok || at < prev || at > ev.at.UnixNano() {
					t.Fatalf("%s: chunk %s: %s = %v, want a time after %d (the previous) and before its read %d", tc.path, ev.data, StampMember, c[StampMember], prev, ev.at.UnixNano())
				}
				prev = at
			}
		}
		s.Close()
	}
}
