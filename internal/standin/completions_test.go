package standin

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// completion is the part of a text_completion the tests read.
type completion struct {
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func TestCompletions(t *testing.T) {
	const text = "and so on forever"
	for _, kind := range []Kind{VLLM, LMDeploy, Ollama, OpenAI} {
		t.Run(string(kind), func(t *testing.T) {
			s, _ := New(kind, Config{APIKey: "k", Models: []Model{{ID: "m:7b", Answer: text}}})
			defer s.Close()
			tests := []struct {
				name, prompt  string
				choices, toks int
			}{
				{"string", `"Once upon a time"`, 1, 4},
				{"list", `["Once upon", "a time there was"]`, 2, 6},
				{"token ids", `[1, 2, 3]`, 1, 3},
				{"token id lists", `[[1, 2], [3]]`, 2, 3},
			}
			for _, tt := range tests {
				status, body := call(t, "POST", s.Endpoint()+"/completions", "k", `{"model":"m:7b","prompt":`+tt.prompt+`,"max_tokens":16}`)
				var c completion
				if err := json.Unmarshal([]byte(body), &c); status != 200 || err != nil {
					t.Fatalf("%s: POST /v1/completions = %d %s, want 200 JSON", tt.name, status, body)
				}
				if c.Object != "text_completion" || c.Model != "m:7b" || len(c.Choices) != tt.choices {
					t.Errorf("%s: completion = %s, want a text_completion of m:7b with %d choices", tt.name, body, tt.choices)
				}
				for i, ch := range c.Choices {
					if ch.Index != i || ch.Text != text || ch.FinishReason == nil || *ch.FinishReason != "stop" {
						t.Errorf("%s: choice %d = %+v, want index %d, text %q, finish_reason stop", tt.name, i, ch, i, text)
					}
				}
				n := 4 * tt.choices
				if c.Usage == nil || c.Usage.PromptTokens != tt.toks || c.Usage.CompletionTokens != n || c.Usage.TotalTokens != tt.toks+n {
					t.Errorf("%s: usage = %+v, want %d prompt and %d completion tokens", tt.name, c.Usage, tt.toks, n)
				}
			}
			if status, body := call(t, "POST", s.Endpoint()+"/completions", "k", `{"model":"m:7b"}`); status != 400 || !strings.Contains(body, "prompt") {
				t.Errorf("completion without prompt = %d %s, want 400 naming prompt", status, body)
			}
			if status, body := call(t, "POST", s.Endpoint()+"/completions", "k", `{"model":"foo","prompt":"x"}`); status != 404 {
				t.Errorf("completion of an unknown model = %d %s, want 404", status, body)
			}
		})
	}
}

func TestCompletionErrorShapes(t *testing.T) {
	v := NewVLLM(Config{APIKey: "k", Models: []Model{{ID: "m"}}})
	defer v.Close()
	l := NewLMDeploy(Config{APIKey: "k", Models: []Model{{ID: "m"}}})
	defer l.Close()
	for _, path := range []string{"/v1/completions", "/v1/embeddings"} {
		runExchanges(t, v, []exchange{
			{"vllm needs key " + path, "POST", path, "", `{"model":"m","prompt":"x","input":"x"}`, 401, `{"error":"Unauthorized"}`},
			{"vllm unknown model " + path, "POST", path, "k", `{"model":"foo","prompt":"x","input":"x"}`, 404,
				`{"error":{"message":"The model ` + "`foo`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}}`},
		})
		runExchanges(t, l, []exchange{
			{"lmdeploy needs key " + path, "POST", path, "", `{"model":"m","prompt":"x","input":"x"}`, 401, `~authentication_error`},
			{"lmdeploy unknown model " + path, "POST", path, "k", `{"model":"foo","prompt":"x","input":"x"}`, 404,
				`{"message":"The model 'foo' does not exist.","type":"not_found_error","code":404,"param":null,"object":"error"}`},
		})
	}
}

func TestStreamCompletions(t *testing.T) {
	const text = "and so on"
	s := NewVLLM(Config{Models: []Model{{ID: "m", Answer: text}}})
	defer s.Close()
	for _, withUsage := range []bool{false, true} {
		extra := ""
		if withUsage {
			extra = `,"stream_options":{"include_usage":true}`
		}
		resp, events := postStream(t, s.Endpoint()+"/completions", "", `{"model":"m","stream":true,"prompt":["a b","c"]`+extra+`}`)
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type = %q, want text/event-stream", ct)
		}
		// Per prompt: 3 words and a finish chunk; then usage if asked; [DONE].
		want := 2*(3+1) + 1
		if withUsage {
			want++
		}
		if len(events) != want || events[len(events)-1].data != "[DONE]" {
			t.Fatalf("usage %v: got %d events %v, want %d ending in [DONE]", withUsage, len(events), events, want)
		}
		texts := map[int]string{}
		finished := map[int]bool{}
		var usage bool
		for _, e := range events[:len(events)-1] {
			var c completion
			if err := json.Unmarshal([]byte(e.data), &c); err != nil || c.Object != "text_completion" || c.Model != "m" {
				t.Fatalf("chunk %q, want a text_completion of m", e.data)
			}
			if c.Usage != nil {
				usage = true
				if len(c.Choices) != 0 || c.Usage.PromptTokens != 3 || c.Usage.CompletionTokens != 6 {
					t.Errorf("usage chunk %s, want no choices, 3 prompt and 6 completion tokens", e.data)
				}
				continue
			}
			for _, ch := range c.Choices {
				texts[ch.Index] += ch.Text
				if ch.FinishReason != nil && *ch.FinishReason == "stop" {
					finished[ch.Index] = true
				}
			}
		}
		if texts[0] != text || texts[1] != text || !finished[0] || !finished[1] {
			t.Errorf("streamed texts %v, finished %v, want %q twice, both stopped", texts, finished, text)
		}
		if usage != withUsage {
			t.Errorf("usage chunk sent %v, want %v", usage, withUsage)
		}
	}
}

// specEmbed recomputes an embedding from Embed's documented definition.
func specEmbed(text string) []float64 {
	sum := sha256.Sum256([]byte(text))
	var v []float64
	var sq float64
	for i := 0; i < 32; i += 4 {
		x := float64(binary.BigEndian.Uint32(sum[i:i+4]))/math.Pow(2, 31) - 1
		v = append(v, x)
		sq += x * x
	}
	for i := range v {
		v[i] /= math.Sqrt(sq)
	}
	return v
}

type embeddingList struct {
	Object string `json:"object"`
	Model  string `json:"model"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Usage map[string]int `json:"usage"`
}

func TestEmbeddings(t *testing.T) {
	for _, kind := range []Kind{VLLM, LMDeploy, Ollama, OpenAI} {
		t.Run(string(kind), func(t *testing.T) {
			s, _ := New(kind, Config{Models: []Model{{ID: "embed:v1"}}})
			defer s.Close()
			tests := []struct {
				name, input string
				texts       []string
				toks        int
			}{
				{"string", `"hello there world"`, []string{"hello there world"}, 3},
				{"list", `["hello", "two words"]`, []string{"hello", "two words"}, 3},
				{"token ids", `[7, 8]`, []string{"[7,8]"}, 2},
			}
			for _, tt := range tests {
				status, body := call(t, "POST", s.Endpoint()+"/embeddings", "", `{"model":"embed:v1","input":`+tt.input+`}`)
				var l embeddingList
				if err := json.Unmarshal([]byte(body), &l); status != 200 || err != nil {
					t.Fatalf("%s: POST /v1/embeddings = %d %s, want 200 JSON", tt.name, status, body)
				}
				if l.Object != "list" || l.Model != "embed:v1" || len(l.Data) != len(tt.texts) {
					t.Fatalf("%s: embeddings = %s, want a list of %d for embed:v1", tt.name, body, len(tt.texts))
				}
				for i, d := range l.Data {
					var got []float64
					if err := json.Unmarshal(d.Embedding, &got); err != nil || d.Object != "embedding" || d.Index != i {
						t.Fatalf("%s: data[%d] = %+v, want embedding %d of floats", tt.name, i, d, i)
					}
					want := specEmbed(tt.texts[i])
					if len(got) != EmbeddingDims || len(want) != EmbeddingDims {
						t.Fatalf("%s: %d dims, want %d", tt.name, len(got), EmbeddingDims)
					}
					for j := range got {
						if math.Abs(got[j]-want[j]) > 1e-12 {
							t.Errorf("%s: data[%d] = %v, want %v (SHA-256 of %q)", tt.name, i, got, want, tt.texts[i])
							break
						}
					}
				}
				if l.Usage["prompt_tokens"] != tt.toks || l.Usage["total_tokens"] != tt.toks {
					t.Errorf("%s: usage = %v, want %d prompt and total tokens", tt.name, l.Usage, tt.toks)
				}
			}
		})
	}
}

func TestEmbeddingsBase64AndErrors(t *testing.T) {
	s := NewVLLM(Config{Models: []Model{{ID: "e"}}})
	defer s.Close()
	_, body := call(t, "POST", s.Endpoint()+"/embeddings", "", `{"model":"e","input":"hi","encoding_format":"base64"}`)
	var l embeddingList
	var b64 string
	if err := json.Unmarshal([]byte(body), &l); err != nil || len(l.Data) != 1 || json.Unmarshal(l.Data[0].Embedding, &b64) != nil {
		t.Fatalf("base64 embeddings = %s, want one base64 string", body)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 4*EmbeddingDims {
		t.Fatalf("base64 embedding %q decodes to %d bytes, %v, want %d", b64, len(raw), err, 4*EmbeddingDims)
	}
	for i, want := range specEmbed("hi") {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != float32(want) {
			t.Errorf("base64 dim %d = %v, want float32 %v", i, got, float32(want))
		}
	}
	runExchanges(t, s, []exchange{
		{"bad format", "POST", "/v1/embeddings", "", `{"model":"e","input":"hi","encoding_format":"int8"}`, 400, `~encoding_format`},
		{"no input", "POST", "/v1/embeddings", "", `{"model":"e"}`, 400, `~input`},
		{"empty list", "POST", "/v1/embeddings", "", `{"model":"e","input":[]}`, 400, `~input`},
		{"bad json", "POST", "/v1/embeddings", "", `{"model":`, 400, `~invalid JSON body`},
	})
	a, b := Embed("a"), Embed("b")
	if a[0] == b[0] && a[1] == b[1] {
		t.Errorf("Embed(a) = Embed(b) = %v, want texts told apart", a)
	}
}
