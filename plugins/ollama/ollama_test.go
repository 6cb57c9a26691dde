package ollama

import (
	"context"
	"encoding/base64"
	"errors"
	"image/color"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
)

var (
	red  = standin.SolidPNG(color.RGBA{255, 0, 0, 255})
	blue = standin.SolidPNG(color.RGBA{0, 0, 255, 255})
)

func models() []standin.Model {
	return []standin.Model{
		{ID: "llava", Vision: true, Family: "llama", Quantization: "Q4_0", Size: 4683075271, Digest: "0a8c2669", ContextLength: 4096},
		{ID: "qwen2.5vl:7b", Vision: true, Family: "qwen25vl", Capabilities: []string{"completion", "vision", "tools"}, Digest: "d2"},
		{ID: "qwen3:8b", Family: "qwen3", Capabilities: []string{"completion", "tools", "thinking"}, Digest: "d3"},
		{ID: "nomic-embed-text", Family: "nomic-bert", Capabilities: []string{"embedding"}, Digest: "d4"},
	}
}

func newOllama(t *testing.T, cfg standin.Config) *standin.Server {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = models()
	}
	s := standin.NewOllama(cfg)
	t.Cleanup(s.Close)
	return s
}

func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	return u
}

func TestInfo(t *testing.T) {
	b := New()
	info, err := b.Info(context.Background())
	want := sdk.Info{Name: "ollama", Version: Version, Protocols: []int{sdk.ProtocolVersion}, DefaultPort: 11434, Description: Description}
	if err != nil || !reflect.DeepEqual(info, want) {
		t.Errorf("Info() = %+v, %v, want %+v", info, err, want)
	}
	if got, want := sdk.Implemented(b, info), []string{sdk.CallArtifacts, sdk.CallHealth, sdk.CallListModels, sdk.CallModelLoading, sdk.CallProbeVision}; !reflect.DeepEqual(got, want) {
		t.Errorf("sdk.Implemented(ollama) = %q, want %q", got, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		entry    sdk.Entry
		endpoint string
		id       string
	}{
		{"must hold", sdk.Entry{Name: "qwen-vl", ServedModelID: "qwen2.5vl:7b", Config: sdk.BackendConfig{Host: "imageworks-ollama", Port: 11434}},
			"http://imageworks-ollama:11434/v1", "qwen2.5vl:7b"},
		{"default port", sdk.Entry{Name: "m"}, "http://localhost:11434/v1", "m"},
		{"id from model_path", sdk.Entry{Name: "gemma", Config: sdk.BackendConfig{ModelPath: "ollama:/aqualaguna/gemma-3-27b-it-abliterated-GGUF:q3_k_m"}},
			"http://localhost:11434/v1", "aqualaguna/gemma-3-27b-it-abliterated-GGUF:q3_k_m"},
		{"served id wins over model_path", sdk.Entry{Name: "m", ServedModelID: "a:1", Config: sdk.BackendConfig{ModelPath: "ollama:/b:2"}},
			"http://localhost:11434/v1", "a:1"},
		{"directory model_path ignored", sdk.Entry{Name: "m", Config: sdk.BackendConfig{ModelPath: "/models/x"}}, "http://localhost:11434/v1", "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(WithGetenv(env(nil))).Resolve(context.Background(), sdk.ResolveRequest{Entry: tt.entry})
			if err != nil || r.Endpoint != tt.endpoint || r.InternalModelID != tt.id {
				t.Errorf("Resolve(%+v) = %+v, %v, want %s, %s", tt.entry, r, err, tt.endpoint, tt.id)
			}
		})
	}
	s := newOllama(t, standin.Config{})
	e := sdk.Entry{Name: "llava-entry", ServedModelID: "llava:latest", Config: sdk.BackendConfig{Host: s.URL}}
	r, err := New().Resolve(context.Background(), sdk.ResolveRequest{Entry: e, Live: true})
	if err != nil || r.Live == nil || !r.Live.Up || !r.Live.Models[0].Served {
		t.Errorf("Resolve(live) = %+v, %v, want llava:latest up and served", r, err)
	}
}

func TestHealth(t *testing.T) {
	s := newOllama(t, standin.Config{})
	req := sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"llava", "llava:latest", "LLaVA", "qwen2.5vl:7b", "qwen2.5vl", "qwen3:8b", "missing"}}
	h, err := New().Health(context.Background(), req)
	if err != nil {
		t.Fatalf("Health() = %v", err)
	}
	want := []sdk.ModelStatus{
		{ID: "llava", Served: true}, {ID: "llava:latest", Served: true}, {ID: "LLaVA", Served: true},
		{ID: "qwen2.5vl:7b", Served: true}, {ID: "qwen2.5vl", Served: false}, {ID: "qwen3:8b", Served: true},
		{ID: "missing", Served: false},
	}
	if !h.Up || h.Version != standin.DefaultOllamaVersion || !reflect.DeepEqual(h.Models, want) {
		t.Errorf("Health() = %+v, want up, version %s, models %+v", h, standin.DefaultOllamaVersion, want)
	}
	if !reflect.DeepEqual(h.Served, []string{"llava:latest", "nomic-embed-text:latest", "qwen2.5vl:7b", "qwen3:8b"}) {
		t.Errorf("Health().Served = %q, want the tags, sorted", h.Served)
	}
	if len(s.RequestsTo("/api/version")) != 1 || len(s.RequestsTo("/api/tags")) != 1 {
		t.Errorf("stand-in requests = %+v, want /api/version and /api/tags", s.Requests())
	}

	down, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: closedURL(t), Models: []string{"llava"}})
	if err != nil || down.Up || len(down.Notes) == 0 || down.Models[0].Served {
		t.Errorf("Health(refused) = %+v, %v, want down with a note", down, err)
	}
	slow := newOllama(t, standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if h, err := New().Health(ctx, sdk.HealthRequest{Endpoint: slow.Endpoint()}); err != nil || h.Up {
		t.Errorf("Health(slow) = %+v, %v, want down", h, err)
	}
}

func TestHealthOldServer(t *testing.T) {
	// A server without /api/version: GET / must say "Ollama is running".
	tests := []struct {
		root string
		up   bool
	}{
		{"Ollama is running", true},
		{"nginx welcome page", false},
	}
	for _, tt := range tests {
		t.Run(tt.root, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/":
					io.WriteString(w, tt.root)
				case "/api/tags":
					io.WriteString(w, `{"models":[{"name":"llava:latest","model":"llava:latest"}]}`)
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: srv.URL + "/v1", Models: []string{"llava"}})
			if err != nil || h.Up != tt.up || h.Version != "" || h.Models[0].Served != tt.up {
				t.Errorf("Health() = %+v, %v, want up %v", h, err, tt.up)
			}
		})
	}
}

func TestListModels(t *testing.T) {
	s := newOllama(t, standin.Config{})
	got, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: s.Endpoint()})
	if err != nil {
		t.Fatalf("ListModels() = %v", err)
	}
	caps := func(on ...string) map[string]bool {
		m := map[string]bool{"text": false, "vision": false, "tools": false, "embedding": false, "thinking": false, "reasoning": false, "audio": false}
		for _, k := range on {
			m[k] = true
		}
		return m
	}
	want := []sdk.ServedModel{
		{ID: "llava:latest", Aliases: []string{"llava"}, Root: "llava:latest", ModelPath: "ollama:/llava:latest", Capabilities: caps("text", "vision"), Family: "llama", Quantization: "Q4_0", SizeBytes: 4683075271, ContextLength: 4096, Digest: "0a8c2669"},
		{ID: "nomic-embed-text:latest", Aliases: []string{"nomic-embed-text"}, Root: "nomic-embed-text:latest", ModelPath: "ollama:/nomic-embed-text:latest", Capabilities: caps("embedding"), Family: "nomic-bert", Quantization: "Q4_0", SizeBytes: 4683075271, ContextLength: 8192, Digest: "d4"},
		{ID: "qwen2.5vl:7b", Root: "qwen2.5vl:7b", ModelPath: "ollama:/qwen2.5vl:7b", Capabilities: caps("text", "vision", "tools"), Family: "qwen25vl", Quantization: "Q4_0", SizeBytes: 4683075271, ContextLength: 8192, Digest: "d2"},
		{ID: "qwen3:8b", Root: "qwen3:8b", ModelPath: "ollama:/qwen3:8b", Capabilities: caps("text", "tools", "thinking", "reasoning"), Family: "qwen3", Quantization: "Q4_0", SizeBytes: 4683075271, ContextLength: 8192, Digest: "d3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListModels() =\n%+v\nwant\n%+v", got, want)
	}
	if n := len(s.RequestsTo("/api/show")); n != 4 {
		t.Errorf("stand-in got %d /api/show requests, want 4", n)
	}

	old := newOllama(t, standin.Config{Version: "0.6.3"})
	got, err = New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: old.Endpoint()})
	if err != nil || len(got) != 4 || got[0].Capabilities != nil {
		t.Errorf("ListModels(0.6.3) = %+v, %v, want nil capabilities", got, err)
	}

	tests := []struct {
		name string
		cfg  standin.Config
		url  string
		want error
	}{
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}}, "", sdk.ErrBadResponse},
		{"bad json", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON, Path: "/api/tags"}}, "", sdk.ErrBadResponse},
		{"refused", standin.Config{}, closedURL(t), sdk.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOllama(t, tt.cfg)
			ep := s.Endpoint()
			if tt.url != "" {
				ep = tt.url
			}
			if _, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: ep}); !errors.Is(err, tt.want) {
				t.Errorf("ListModels() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestServedID(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		aliases []string
	}{
		{"llava", "llava:latest", []string{"llava"}},
		{"llava:latest", "llava:latest", []string{"llava"}},
		{"registry.ollama.ai/library/llava:latest", "llava:latest", []string{"llava"}},
		{"qwen2.5vl:7b", "qwen2.5vl:7b", nil},
		{"aqualaguna/gemma-3-27b-it-abliterated-GGUF:q3_k_m", "aqualaguna/gemma-3-27b-it-abliterated-GGUF:q3_k_m", nil},
		{"hf.co/org/model", "hf.co/org/model:latest", []string{"hf.co/org/model"}},
		{"a:b:c", "a:b:c", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, aliases := servedID(tt.name)
			if id != tt.id || !reflect.DeepEqual(aliases, tt.aliases) {
				t.Errorf("servedID(%q) = %q, %q, want %q, %q", tt.name, id, aliases, tt.id, tt.aliases)
			}
		})
	}
}

func TestProbeVision(t *testing.T) {
	tests := []struct {
		name      string
		version   string
		model     string
		image     []byte
		expect    []string
		challenge *sdk.Challenge
		visionOK  bool
		chats     int
		note      string
	}{
		{"vision by capability", "", "llava", red, nil, nil, true, 1, `capabilities include "vision"`},
		{"latest both ways", "", "llava:latest", red, []string{"red"}, nil, true, 1, `names "red"`},
		{"expect misses", "", "qwen2.5vl:7b", blue, []string{"red"}, nil, false, 1, "names none of"},
		{"no vision capability, no chat", "", "qwen3:8b", red, []string{"red"}, nil, false, 0, `lack "vision"`},
		{"old server, challenge proves", "0.6.3", "llava", blue, nil, &sdk.Challenge{Image: red, Expect: []string{"red"}}, true, 2, `challenge image names "red"`},
		{"old server, blind", "0.6.3", "qwen3:8b", blue, nil, &sdk.Challenge{Image: red, Expect: []string{"red"}}, false, 2, "none of"},
		{"old server, no proof", "0.6.3", "llava", blue, nil, nil, false, 1, "vision not proven"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOllama(t, standin.Config{Version: tt.version})
			res, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{
				Endpoint: s.Endpoint(), ModelID: tt.model, Image: tt.image, MIMEType: "image/png",
				Prompt: "What colour?", Expect: tt.expect, Challenge: tt.challenge,
			})
			if err != nil {
				t.Fatalf("ProbeVision() = %v", err)
			}
			if res.VisionOK != tt.visionOK || res.StatusCode != 200 || res.Model != tt.model || res.ProbeVersion != ProbeVersion ||
				!strings.Contains(strings.Join(res.Notes, "\n"), tt.note) {
				t.Errorf("ProbeVision() = %+v, want vision_ok %v, status 200, model %s, a note with %q", res, tt.visionOK, tt.model, tt.note)
			}
			reqs := s.Requests()
			if len(reqs) == 0 || reqs[0].Path != "/api/show" {
				t.Fatalf("stand-in requests = %+v, want /api/show first", reqs)
			}
			var show struct{ Model string }
			if err := reqs[0].DecodeJSON(&show); err != nil || show.Model != tt.model {
				t.Errorf("/api/show body = %s, want model %s", reqs[0].Body, tt.model)
			}
			chats := s.RequestsTo("/api/chat")
			if len(chats) != tt.chats {
				t.Fatalf("stand-in got %d /api/chat requests, want %d", len(chats), tt.chats)
			}
			if len(chats) == 0 {
				return
			}
			var chat struct {
				Model    string
				Stream   *bool
				Messages []struct {
					Content string
					Images  []string
				}
			}
			if err := chats[0].DecodeJSON(&chat); err != nil {
				t.Fatal(err)
			}
			if chat.Model != tt.model || chat.Stream == nil || *chat.Stream || chat.Messages[0].Content != "What colour?" ||
				len(chat.Messages[0].Images) != 1 || chat.Messages[0].Images[0] != base64.StdEncoding.EncodeToString(tt.image) {
				t.Errorf("/api/chat body = %.200s, want model %s, stream false, the prompt and the image as bare base64", chats[0].Body, tt.model)
			}
		})
	}
}

func TestProbeVisionErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     standin.Config
		model   string
		image   []byte
		closed  bool
		timeout time.Duration
		want    error
	}{
		{"unknown model", standin.Config{}, "foo", red, false, 0, sdk.ErrModelNotFound},
		{"500 on chat", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal, Path: "/api/chat"}}, "llava", red, false, 0, sdk.ErrBadResponse},
		{"bad json on show", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON, Path: "/api/show"}}, "llava", red, false, 0, sdk.ErrBadResponse},
		{"refused", standin.Config{}, "llava", red, true, 0, sdk.ErrUnavailable},
		{"timeout", standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}}, "llava", red, false, 100 * time.Millisecond, sdk.ErrUnavailable},
		{"not an image", standin.Config{}, "llava", []byte("hello"), false, 0, sdk.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newOllama(t, tt.cfg)
			ep := s.Endpoint()
			if tt.closed {
				ep = closedURL(t)
			}
			start := time.Now()
			_, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: ep, ModelID: tt.model, Image: tt.image, Timeout: tt.timeout})
			if !errors.Is(err, tt.want) {
				t.Errorf("ProbeVision() = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("ProbeVision() took %v, want prompt", d)
			}
		})
	}
}

// TestClientOptions: WithHTTPClient's client makes every request, and
// WithClock's clock measures the latency.
func TestClientOptions(t *testing.T) {
	s := newOllama(t, standin.Config{})
	standin.CheckClientOptions(t, s, func(hc *http.Client, now func() time.Time) (sdk.HealthStatus, error) {
		return New(WithHTTPClient(hc), WithClock(now)).Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint()})
	})
}
