package lmdeploy

import (
	"context"
	"errors"
	"image/color"
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

const key = "sk-lmdeploy-secret"

func newLMDeploy(t *testing.T, cfg standin.Config) *standin.Server {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = []standin.Model{{ID: "internvl", Vision: true}, {ID: "qwen-text"}}
	}
	s := standin.NewLMDeploy(cfg)
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
	want := sdk.Info{Name: "lmdeploy", Version: Version, Protocols: []int{sdk.ProtocolVersion}, DefaultPort: 23333, Description: Description}
	if err != nil || !reflect.DeepEqual(info, want) {
		t.Errorf("Info() = %+v, %v, want %+v", info, err, want)
	}
	if got, want := sdk.Implemented(b, info), []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision, sdk.CallServerCommand}; !reflect.DeepEqual(got, want) {
		t.Errorf("sdk.Implemented(lmdeploy) = %q, want %q (no Artifacts: the host hashes model_path)", got, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		entry    sdk.Entry
		endpoint string
		id       string
	}{
		{sdk.Entry{Name: "m", Config: sdk.BackendConfig{Port: 0}}, "http://localhost:23333/v1", "m"},
		{sdk.Entry{Name: "m", ServedModelID: "internvl", Config: sdk.BackendConfig{Host: "gpu", Port: 9000}}, "http://gpu:9000/v1", "internvl"},
		{sdk.Entry{Name: "m", Config: sdk.BackendConfig{BaseURL: "https://x/v1/"}}, "https://x/v1", "m"},
	}
	for _, tt := range tests {
		r, err := New().Resolve(context.Background(), sdk.ResolveRequest{Entry: tt.entry})
		if err != nil || r.Endpoint != tt.endpoint || r.InternalModelID != tt.id {
			t.Errorf("Resolve(%+v) = %+v, %v, want %s, %s", tt.entry, r, err, tt.endpoint, tt.id)
		}
	}
	s := newLMDeploy(t, standin.Config{APIKey: key})
	e := sdk.Entry{Name: "internvl", Config: sdk.BackendConfig{BaseURL: s.Endpoint()}}
	r, err := New().Resolve(context.Background(), sdk.ResolveRequest{Entry: e, Live: true, APIKey: key})
	if err != nil || r.Live == nil || !r.Live.Up || !r.Live.Models[0].Served {
		t.Errorf("Resolve(live) = %+v, %v, want internvl up and served", r, err)
	}
}

func TestHealth(t *testing.T) {
	tests := []struct {
		name    string
		version string
		status  string
		up      bool
		note    string
	}{
		{"0.16 healthy", "0.16.0", "healthy", true, ""},
		{"0.16 sleeping is up", "0.16.0", "sleeping", true, "sleeping"},
		{"0.16 unhealthy", "0.16.0", "unhealthy", false, `status "unhealthy"`},
		{"0.16 initializing", "0.16.0", "initializing", false, `status "initializing"`},
		{"0.13 empty body up", "0.13.0", "", true, ""},
		{"0.13 503 down", "0.13.0", "unhealthy", false, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newLMDeploy(t, standin.Config{Version: tt.version, Status: tt.status, APIKey: key})
			h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"internvl", "other"}, APIKey: key})
			if err != nil || h.Up != tt.up || h.Version != "" {
				t.Fatalf("Health() = %+v, %v, want up %v and no version", h, err, tt.up)
			}
			if tt.note != "" && !strings.Contains(strings.Join(h.Notes, "\n"), tt.note) {
				t.Errorf("Health() notes = %q, want one with %q", h.Notes, tt.note)
			}
			want := []sdk.ModelStatus{{ID: "internvl", Served: tt.up}, {ID: "other", Served: false}}
			if !reflect.DeepEqual(h.Models, want) {
				t.Errorf("Health() models = %+v, want %+v", h.Models, want)
			}
			for _, r := range s.RequestsTo("/health") {
				if r.Header.Get("Authorization") != "" {
					t.Errorf("/health was sent Authorization, want no key there")
				}
			}
		})
	}
}

func TestHealthFailures(t *testing.T) {
	s := newLMDeploy(t, standin.Config{APIKey: key})
	if _, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint(), APIKey: "wrong"}); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("Health(wrong key) = %v, want ErrUnauthorized", err)
	}
	h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: closedURL(t), Models: []string{"x"}})
	if err != nil || h.Up || len(h.Notes) == 0 {
		t.Errorf("Health(refused) = %+v, %v, want down with a note", h, err)
	}
	slow := newLMDeploy(t, standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	h, err = New().Health(ctx, sdk.HealthRequest{Endpoint: slow.Endpoint()})
	if err != nil || h.Up {
		t.Errorf("Health(slow) = %+v, %v, want down", h, err)
	}
}

func TestListModels(t *testing.T) {
	s := newLMDeploy(t, standin.Config{APIKey: key})
	got, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: s.Endpoint(), APIKey: key})
	want := []sdk.ServedModel{{ID: "internvl", Root: "internvl"}, {ID: "qwen-text", Root: "qwen-text"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ListModels() = %+v, %v, want %+v", got, err, want)
	}
	tests := []struct {
		name string
		cfg  standin.Config
		key  string
		want error
	}{
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}}, "", sdk.ErrBadResponse},
		{"bad json", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON}}, "", sdk.ErrBadResponse},
		{"401 flat", standin.Config{APIKey: key}, "wrong", sdk.ErrUnauthorized},
		{"401 old", standin.Config{APIKey: key, Version: "0.13.0"}, "wrong", sdk.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newLMDeploy(t, tt.cfg)
			_, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: s.Endpoint(), APIKey: sdk.Secret(tt.key)})
			if !errors.Is(err, tt.want) {
				t.Errorf("ListModels() = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: closedURL(t)}); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("ListModels(refused) = %v, want ErrUnavailable", err)
	}
}

func challenge(img []byte, expect ...string) *sdk.Challenge {
	return &sdk.Challenge{Image: img, MIMEType: "image/png", Prompt: "Which colour fills the image?", Expect: expect}
}

func TestProbeVision(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		answer    string // fixed answer of every model, "" = describe the image
		image     []byte
		expect    []string
		challenge *sdk.Challenge
		visionOK  bool
		chats     int
		note      string
	}{
		{"challenge image as request, sees", "internvl", "", red, []string{"red"}, nil, true, 1, `names "red"`},
		{"challenge image as request, blind", "qwen-text", "", red, []string{"red"}, nil, false, 1, "names none of"},
		{"own image, challenge answered", "internvl", "", blue, nil, challenge(red, "red"), true, 2, `challenge image names "red"`},
		{"own image, blind model", "qwen-text", "", blue, nil, challenge(red, "red"), false, 2, "challenge image names none of"},
		{"blind model answering a fixed colour", "qwen-text", "It is blue.", blue, nil, challenge(red, "red"), false, 2, "names none of"},
		{"own image, no challenge", "internvl", "", blue, nil, nil, false, 1, "vision not proven"},
		{"200 alone is no proof", "qwen-text", "Looks red to me", red, nil, nil, false, 1, "no proof"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			models := []standin.Model{{ID: "internvl", Vision: true, Answer: tt.answer}, {ID: "qwen-text", Answer: tt.answer}}
			s := newLMDeploy(t, standin.Config{APIKey: key, Models: models})
			res, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{
				Endpoint: s.Endpoint(), ModelID: tt.model, APIKey: key, Image: tt.image, MIMEType: "image/png",
				Prompt: "Describe it.", Expect: tt.expect, Challenge: tt.challenge,
			})
			if err != nil {
				t.Fatalf("ProbeVision() = %v", err)
			}
			if res.VisionOK != tt.visionOK || res.StatusCode != 200 || res.Model != tt.model || res.ProbeVersion != ProbeVersion ||
				res.Excerpt == "" || !strings.Contains(strings.Join(res.Notes, "\n"), tt.note) {
				t.Errorf("ProbeVision() = %+v, want vision_ok %v, status 200, a note with %q", res, tt.visionOK, tt.note)
			}
			reqs := s.RequestsTo("/v1/chat/completions")
			if len(reqs) != tt.chats {
				t.Fatalf("stand-in got %d chats, want %d", len(reqs), tt.chats)
			}
			var body struct {
				Model    string
				Messages []struct {
					Content []struct {
						ImageURL struct{ URL string } `json:"image_url"`
					}
				}
			}
			for _, r := range reqs {
				if err := r.DecodeJSON(&body); err != nil {
					t.Fatal(err)
				}
				if body.Model != tt.model || !strings.HasPrefix(body.Messages[0].Content[1].ImageURL.URL, "data:image/png;base64,") ||
					r.Header.Get("Authorization") != "Bearer "+key {
					t.Errorf("stand-in received %s, want model %s with a data:image/png;base64, URL and the key", r.Body, tt.model)
				}
			}
		})
	}
}

func TestProbeVisionErrors(t *testing.T) {
	tests := []struct {
		name   string
		cfg    standin.Config
		model  string
		key    string
		closed bool
		want   error
	}{
		{"unknown model", standin.Config{}, "foo", "", false, sdk.ErrModelNotFound},
		{"unknown model 0.13", standin.Config{Version: "0.13.0"}, "foo", "", false, sdk.ErrModelNotFound},
		{"500", standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}}, "internvl", "", false, sdk.ErrBadResponse},
		{"bad json", standin.Config{Fail: standin.Failure{Mode: standin.FailBadJSON}}, "internvl", "", false, sdk.ErrBadResponse},
		{"401", standin.Config{APIKey: key}, "internvl", "nope-key", false, sdk.ErrUnauthorized},
		{"refused", standin.Config{}, "internvl", "", true, sdk.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newLMDeploy(t, tt.cfg)
			ep := s.Endpoint()
			if tt.closed {
				ep = closedURL(t)
			}
			_, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: ep, ModelID: tt.model, APIKey: sdk.Secret(tt.key), Image: red, Challenge: challenge(red, "red")})
			if !errors.Is(err, tt.want) {
				t.Errorf("ProbeVision() = %v, want %v", err, tt.want)
			}
			if err != nil && tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("ProbeVision() error %q shows the key", err)
			}
		})
	}
	s := newLMDeploy(t, standin.Config{Fail: standin.Failure{Mode: standin.FailSlow, Delay: time.Minute}})
	start := time.Now()
	_, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: s.Endpoint(), ModelID: "internvl", Image: red, Timeout: 100 * time.Millisecond})
	if !errors.Is(err, sdk.ErrUnavailable) || time.Since(start) > 3*time.Second {
		t.Errorf("ProbeVision(slow, 100ms) = %v after %v, want ErrUnavailable promptly", err, time.Since(start))
	}
	if _, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: s.Endpoint(), ModelID: "internvl", Image: []byte("plain text")}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("ProbeVision(text) = %v, want ErrBadRequest", err)
	}
}

// TestClientOptions: WithHTTPClient's client makes every request, and
// WithClock's clock measures the latency.
func TestClientOptions(t *testing.T) {
	s := newLMDeploy(t, standin.Config{})
	standin.CheckClientOptions(t, s, func(hc *http.Client, now func() time.Time) (sdk.HealthStatus, error) {
		return New(WithHTTPClient(hc), WithClock(now)).Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint()})
	})
}
