package vllm

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"net"
	"net/http"
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

const key = "sk-test-secret"

func newVLLM(t *testing.T, cfg standin.Config) *standin.Server {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = []standin.Model{
			{ID: "qwen-vl", Aliases: []string{"caption"}, Root: "/models/Qwen2.5-VL-7B-Instruct", Vision: true, ContextLength: 32768},
			{ID: "llama-text"},
			{ID: "sql-lora", Parent: "llama-text", Root: "/adapters/sql"},
		}
	}
	s := standin.NewVLLM(cfg)
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
	want := sdk.Info{Name: "vllm", Version: Version, Protocols: []int{sdk.ProtocolVersion}, DefaultPort: 8000, Description: Description}
	if err != nil || !reflect.DeepEqual(info, want) {
		t.Errorf("Info() = %+v, %v, want %+v", info, err, want)
	}
	if got, want := sdk.Implemented(b, info), []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision, sdk.CallServerCommand}; !reflect.DeepEqual(got, want) {
		t.Errorf("sdk.Implemented(vllm) = %q, want %q (no Artifacts: the host hashes model_path)", got, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name     string
		entry    sdk.Entry
		endpoint string
		id       string
	}{
		{"port no host", sdk.Entry{Name: "m", Config: sdk.BackendConfig{Port: 24001}}, "http://localhost:24001/v1", "m"},
		{"base url", sdk.Entry{Name: "m", Config: sdk.BackendConfig{BaseURL: " https://gpu.example/v1/ "}}, "https://gpu.example/v1", "m"},
		{"host url", sdk.Entry{Name: "m", Config: sdk.BackendConfig{Host: "http://h.example:9/"}}, "http://h.example:9", "m"},
		{"defaults", sdk.Entry{Name: "m", ServedModelID: "qwen-vl"}, "http://localhost:8000/v1", "qwen-vl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New().Resolve(context.Background(), sdk.ResolveRequest{Entry: tt.entry})
			if err != nil || r.Endpoint != tt.endpoint || r.InternalModelID != tt.id || r.Live != nil {
				t.Errorf("Resolve(%+v) = %+v, %v, want %s and %s, no live check", tt.entry, r, err, tt.endpoint, tt.id)
			}
		})
	}
}

func TestResolveLive(t *testing.T) {
	s := newVLLM(t, standin.Config{APIKey: key})
	tests := []struct {
		name    string
		baseURL string
		served  string
		key     string
		up      bool
		isServ  bool
		wantErr error
	}{
		{"served alias", s.Endpoint(), "caption", key, true, true, nil},
		{"not served", s.Endpoint(), "nope", key, true, false, nil},
		{"down", closedURL(t), "caption", key, false, false, nil},
		{"bad key", s.Endpoint(), "caption", "wrong", false, false, sdk.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sdk.Entry{Name: "m", ServedModelID: tt.served, Config: sdk.BackendConfig{BaseURL: tt.baseURL}}
			r, err := New().Resolve(context.Background(), sdk.ResolveRequest{Entry: e, Live: true, APIKey: sdk.Secret(tt.key)})
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || strings.Contains(err.Error(), tt.key) {
					t.Errorf("Resolve(live) = %v, want %v without the key", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.Live == nil {
				t.Fatalf("Resolve(live) = %+v, %v, want a live status", r, err)
			}
			if r.Live.Up != tt.up || len(r.Live.Models) != 1 || r.Live.Models[0] != (sdk.ModelStatus{ID: tt.served, Served: tt.isServ}) {
				t.Errorf("Resolve(live).Live = %+v, want up %v, %s served %v", r.Live, tt.up, tt.served, tt.isServ)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	s := newVLLM(t, standin.Config{APIKey: key})
	h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"caption", "qwen-vl", "sql-lora", "missing"}, APIKey: key})
	if err != nil {
		t.Fatalf("Health() = %v", err)
	}
	wantModels := []sdk.ModelStatus{{ID: "caption", Served: true}, {ID: "qwen-vl", Served: true}, {ID: "sql-lora", Served: true}, {ID: "missing", Served: false}}
	if !h.Up || h.Version != "0.11.0" || !reflect.DeepEqual(h.Models, wantModels) ||
		!reflect.DeepEqual(h.Served, []string{"caption", "llama-text", "qwen-vl", "sql-lora"}) {
		t.Errorf("Health() = %+v, want up, version 0.11.0, models %+v", h, wantModels)
	}
	for _, r := range s.Requests() {
		auth := r.Header.Get("Authorization")
		if strings.HasPrefix(r.Path, "/v1/") != (auth == "Bearer "+key) {
			t.Errorf("%s %s sent Authorization %q, want the key on /v1/* only", r.Method, r.Path, auth)
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s Content-Type = %q, want application/json", r.Method, r.Path, r.Header.Get("Content-Type"))
		}
	}
	if got := s.RequestsTo("/health"); len(got) != 1 {
		t.Errorf("stand-in got %d /health requests, want 1", len(got))
	}
}

func TestHealthDown(t *testing.T) {
	tests := []struct {
		name    string
		cfg     standin.Config
		url     func(s *standin.Server) string
		timeout time.Duration
	}{
		{"dead engine 503", standin.Config{Status: "dead"}, (*standin.Server).Endpoint, time.Second},
		{"refused", standin.Config{}, func(*standin.Server) string { return closedURL(t) }, time.Second},
		{"slow", standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Path: "/health", Delay: time.Minute}}, (*standin.Server).Endpoint, 100 * time.Millisecond},
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal, Path: "/health"}}, (*standin.Server).Endpoint, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVLLM(t, tt.cfg)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			h, err := New().Health(ctx, sdk.HealthRequest{Endpoint: tt.url(s), Models: []string{"qwen-vl"}})
			if err != nil || h.Up || len(h.Notes) == 0 || h.Models[0].Served {
				t.Errorf("Health() = %+v, %v, want down with a note and qwen-vl not served", h, err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Health() took %v, want it prompt", d)
			}
		})
	}
	if _, err := New().Health(context.Background(), sdk.HealthRequest{}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("Health(no endpoint) = %v, want ErrBadRequest", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := newVLLM(t, standin.Config{})
	if _, err := New().Health(ctx, sdk.HealthRequest{Endpoint: s.Endpoint()}); !errors.Is(err, context.Canceled) {
		t.Errorf("Health(cancelled) = %v, want context.Canceled", err)
	}
}

func TestListModels(t *testing.T) {
	s := newVLLM(t, standin.Config{APIKey: key})
	got, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: s.Endpoint(), APIKey: key})
	want := []sdk.ServedModel{
		{ID: "llama-text", Root: "/models/llama-text", ContextLength: 32768},
		{ID: "qwen-vl", Aliases: []string{"caption"}, Root: "/models/Qwen2.5-VL-7B-Instruct", ContextLength: 32768},
		{ID: "sql-lora", Root: "/adapters/sql", Parent: "llama-text"},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ListModels() = %+v, %v, want %+v", got, err, want)
	}
}

func TestListModelsErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     standin.Config
		key     string
		closed  bool
		timeout time.Duration
		want    error
	}{
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}}, "", false, time.Second, sdk.ErrBadResponse},
		{"bad json", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON}}, "", false, time.Second, sdk.ErrBadResponse},
		{"401", standin.Config{APIKey: key}, "wrong-key", false, time.Second, sdk.ErrUnauthorized},
		{"no key", standin.Config{APIKey: key}, "", false, time.Second, sdk.ErrUnauthorized},
		{"refused", standin.Config{}, "", true, time.Second, sdk.ErrUnavailable},
		{"timeout", standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}}, "", false, 100 * time.Millisecond, sdk.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVLLM(t, tt.cfg)
			ep := s.Endpoint()
			if tt.closed {
				ep = closedURL(t)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			_, err := New().ListModels(ctx, sdk.ListModelsRequest{Endpoint: ep, APIKey: sdk.Secret(tt.key)})
			if !errors.Is(err, tt.want) {
				t.Errorf("ListModels() = %v, want %v", err, tt.want)
			}
			if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("ListModels() error %q shows the key", err)
			}
			if errors.Is(tt.want, sdk.ErrUnauthorized) && !strings.Contains(err.Error(), "authentication") {
				t.Errorf("ListModels() error %q, want it to mention authentication", err)
			}
		})
	}
}

func jpegImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProbeVision(t *testing.T) {
	s := newVLLM(t, standin.Config{APIKey: key})
	tests := []struct {
		name     string
		model    string
		image    []byte
		mime     string
		expect   []string
		visionOK bool
		status   int
		dataURL  string
		note     string
	}{
		{"vision model", "caption", red, "image/png", nil, true, 200, "data:image/png;base64,", "vLLM 0.11.0 accepted the image"},
		{"expect matches", "qwen-vl", red, "image/png", []string{"red"}, true, 200, "data:image/png;base64,", `names "red"`},
		{"expect misses", "qwen-vl", blue, "image/png", []string{"red"}, false, 200, "data:image/png;base64,", "names none of"},
		{"text-only rejected", "llama-text", red, "image/png", nil, false, 400, "data:image/png;base64,", "is not a multimodal model"},
		{"jpeg sniffed", "qwen-vl", jpegImage(t), "", nil, true, 200, "data:image/jpeg;base64,", "accepted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(s.RequestsTo("/v1/chat/completions"))
			res, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{
				Endpoint: s.Endpoint(), ModelID: tt.model, APIKey: key, Image: tt.image, MIMEType: tt.mime,
				Prompt: "What colour is this?", Expect: tt.expect,
			})
			if err != nil {
				t.Fatalf("ProbeVision() = %v", err)
			}
			if res.VisionOK != tt.visionOK || res.StatusCode != tt.status || res.ProbeVersion != ProbeVersion ||
				res.Model != tt.model || !strings.Contains(strings.Join(res.Notes, "\n"), tt.note) || len(res.Excerpt) > 200 {
				t.Errorf("ProbeVision(%s) = %+v, want vision_ok %v, status %d, model %s, a note with %q", tt.model, res, tt.visionOK, tt.status, tt.model, tt.note)
			}
			reqs := s.RequestsTo("/v1/chat/completions")
			if len(reqs) != before+1 {
				t.Fatalf("stand-in got %d chat requests, want 1", len(reqs)-before)
			}
			var body struct {
				Model    string
				Messages []struct {
					Content []struct {
						Type     string
						Text     string
						ImageURL struct{ URL string } `json:"image_url"`
					}
				}
			}
			r := reqs[len(reqs)-1]
			if err := r.DecodeJSON(&body); err != nil {
				t.Fatal(err)
			}
			parts := body.Messages[0].Content
			if body.Model != tt.model || len(parts) != 2 || parts[0].Text != "What colour is this?" || !strings.HasPrefix(parts[1].ImageURL.URL, tt.dataURL) {
				t.Errorf("stand-in received %s, want model %s, the prompt, and a %s URL", r.Body, tt.model, tt.dataURL)
			}
			if r.Header.Get("Authorization") != "Bearer "+key {
				t.Errorf("chat Authorization = %q, want the bearer key", r.Header.Get("Authorization"))
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
		key     string
		closed  bool
		timeout time.Duration
		want    error
		sent    bool
	}{
		{"unknown model", standin.Config{}, "foo", red, "", false, 0, sdk.ErrModelNotFound, true},
		{"old flat 404", standin.Config{Version: "0.9.0"}, "foo", red, "", false, 0, sdk.ErrModelNotFound, true},
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}}, "qwen-vl", red, "", false, 0, sdk.ErrBadResponse, true},
		{"bad json", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON}}, "qwen-vl", red, "", false, 0, sdk.ErrBadResponse, true},
		{"401", standin.Config{APIKey: key}, "qwen-vl", red, "bad-key-value", false, 0, sdk.ErrUnauthorized, true},
		{"refused", standin.Config{}, "qwen-vl", red, "", true, 0, sdk.ErrUnavailable, false},
		{"timeout", standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}}, "qwen-vl", red, "", false, 100 * time.Millisecond, sdk.ErrUnavailable, true},
		{"text not image", standin.Config{}, "qwen-vl", []byte("just some text, not a png"), "", false, 0, sdk.ErrBadRequest, false},
		{"no image", standin.Config{}, "qwen-vl", nil, "", false, 0, sdk.ErrBadRequest, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newVLLM(t, tt.cfg)
			ep := s.Endpoint()
			if tt.closed {
				ep = closedURL(t)
			}
			start := time.Now()
			_, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: ep, ModelID: tt.model, APIKey: sdk.Secret(tt.key), Image: tt.image, Timeout: tt.timeout})
			if !errors.Is(err, tt.want) {
				t.Errorf("ProbeVision() = %v, want %v", err, tt.want)
			}
			if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("ProbeVision() error %q shows the key", err)
			}
			if got := len(s.RequestsTo("/v1/chat/completions")) > 0; got != tt.sent {
				t.Errorf("request sent = %v, want %v", got, tt.sent)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("ProbeVision() took %v, want prompt", d)
			}
		})
	}
}

func TestProbeVisionFromEntry(t *testing.T) {
	s := newVLLM(t, standin.Config{})
	e := sdk.Entry{Name: "qwen-entry", ServedModelID: "qwen-vl", Config: sdk.BackendConfig{BaseURL: s.Endpoint()}}
	res, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Entry: e, Image: red, MIMEType: "image/png"})
	if err != nil || !res.VisionOK || res.Model != "qwen-vl" {
		t.Errorf("ProbeVision(entry only) = %+v, %v, want vision from qwen-vl at the entry's endpoint", res, err)
	}
}

// TestClientOptions: WithHTTPClient's client makes every request, and
// WithClock's clock measures the latency.
func TestClientOptions(t *testing.T) {
	s := newVLLM(t, standin.Config{})
	standin.CheckClientOptions(t, s, func(hc *http.Client, now func() time.Time) (sdk.HealthStatus, error) {
		return New(WithHTTPClient(hc), WithClock(now)).Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint()})
	})
}
