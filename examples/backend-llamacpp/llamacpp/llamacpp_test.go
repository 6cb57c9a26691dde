package llamacpp_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"

	"example.com/imageworks-backend-llamacpp/llamacpp"
)

// standIn is llama-server as far as this plugin sees it: GET /health and
// GET /v1/models, answering with llama-server's shapes.
type standIn struct {
	loading bool   // /health answers 503 while the model loads
	apiKey  string // required on /v1/models when set
}

func (s standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/health":
		if s.loading {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		if s.apiKey != "" && r.Header.Get("Authorization") != "Bearer "+s.apiKey {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":{"code":401,"message":"Invalid API Key","type":"authentication_error"}}`))
			return
		}
		_, _ = w.Write([]byte(`{"object":"list","data":[{"id":"qwen2.5-vl-7b-q4_k_m.gguf","object":"model","created":1718000000,"owned_by":"llamacpp","meta":{"vocab_type":2,"n_vocab":151936,"n_ctx_train":32768,"n_embd":3584,"n_params":7615616512,"size":4677120000}}]}`))
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":{"code":404,"message":"File Not Found","type":"not_found_error"}}`))
	}
}

// TestEndpoint checks the endpoint rules Resolve applies through
// openai.Resolve on port 8080.
func TestEndpoint(t *testing.T) {
	for _, tc := range []struct {
		cfg  sdk.BackendConfig
		want string
	}{
		{sdk.BackendConfig{}, "http://localhost:8080/v1"},
		{sdk.BackendConfig{Port: 24001}, "http://localhost:24001/v1"},
		{sdk.BackendConfig{Host: "box", Port: 0}, "http://box:8080/v1"},
		{sdk.BackendConfig{BaseURL: " https://gpu.example/v1/ ", Host: "x", Port: 1}, "https://gpu.example/v1"},
		{sdk.BackendConfig{Host: "http://h.example:9/"}, "http://h.example:9"},
		{sdk.BackendConfig{Host: "HTTPS://h.example"}, "HTTPS://h.example"},
	} {
		res, err := llamacpp.New().Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", Config: tc.cfg}})
		if err != nil || res.Endpoint != tc.want {
			t.Errorf("Resolve(config %+v) endpoint = %q, %v, want %q", tc.cfg, res.Endpoint, err, tc.want)
		}
	}
}

// TestModelID checks the model id rule Resolve applies.
func TestModelID(t *testing.T) {
	for _, tc := range []struct {
		e    sdk.Entry
		want string
	}{
		{sdk.Entry{Name: "qwen (q4)"}, "qwen (q4)"},
		{sdk.Entry{Name: "qwen", ServedModelID: "qwen2.5-vl-7b-q4_k_m.gguf"}, "qwen2.5-vl-7b-q4_k_m.gguf"},
		{sdk.Entry{Name: "qwen", ServedModelID: "  "}, "qwen"},
	} {
		res, err := llamacpp.New().Resolve(context.Background(), sdk.ResolveRequest{Entry: tc.e})
		if err != nil || res.InternalModelID != tc.want {
			t.Errorf("Resolve(%+v) model id = %q, %v, want %q", tc.e, res.InternalModelID, err, tc.want)
		}
	}
}

func TestHealth(t *testing.T) {
	const served = "qwen2.5-vl-7b-q4_k_m.gguf"
	anyID := `serves one model, "` + served + `", under any requested id`
	for _, tc := range []struct {
		name    string
		server  standIn
		key     sdk.Secret
		want    sdk.HealthStatus
		wantErr error
	}{
		{
			// llama-server answers to any id: "other" is served too.
			name:   "up",
			server: standIn{},
			want: sdk.HealthStatus{Up: true, Served: []string{served}, Notes: []string{anyID},
				Models: []sdk.ModelStatus{{ID: served, Served: true}, {ID: "other", Served: true}}},
		},
		{name: "key refused", server: standIn{apiKey: "right"}, key: "wrong", wantErr: sdk.ErrUnauthorized},
		{
			name:   "key accepted",
			server: standIn{apiKey: "right"},
			key:    "right",
			want: sdk.HealthStatus{Up: true, Served: []string{served}, Notes: []string{anyID},
				Models: []sdk.ModelStatus{{ID: served, Served: true}, {ID: "other", Served: true}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.server)
			defer srv.Close()
			b := llamacpp.New(llamacpp.WithFrozenClock())
			got, err := b.Health(context.Background(), sdk.HealthRequest{
				Endpoint: srv.URL + "/v1", Models: []string{served, "other"}, APIKey: tc.key,
			})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Errorf("Health() error = %v, want one wrapping %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Health() = %+v, %v, want %+v, nil", got, err, tc.want)
			}
		})
	}
}

func TestHealthLoading(t *testing.T) {
	srv := httptest.NewServer(standIn{loading: true})
	defer srv.Close()
	h, err := llamacpp.New().Health(context.Background(), sdk.HealthRequest{Endpoint: srv.URL + "/v1", Models: []string{"m"}})
	if err != nil || h.Up || h.Models[0].Served || len(h.Notes) != 1 || !strings.Contains(h.Notes[0], "Loading model") {
		t.Errorf("Health(loading) = %+v, %v, want down, m not served, a note saying the model is loading", h, err)
	}
}

func TestResolveLive(t *testing.T) {
	srv := httptest.NewServer(standIn{})
	defer srv.Close()
	res, err := llamacpp.New().Resolve(context.Background(), sdk.ResolveRequest{
		Entry: sdk.Entry{Name: "qwen", ServedModelID: "qwen2.5-vl-7b-q4_k_m.gguf", Config: sdk.BackendConfig{BaseURL: srv.URL + "/v1/"}},
		Live:  true,
	})
	if err != nil || res.Endpoint != srv.URL+"/v1" || res.Live == nil || !res.Live.Up || !res.Live.Models[0].Served {
		t.Errorf("Resolve(live) = %+v, %v, want the endpoint, up and the model served", res, err)
	}
}

func TestHealthOtherServers(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	ctx := context.Background()

	t.Run("no endpoint", func(t *testing.T) {
		if _, err := llamacpp.New().Health(ctx, sdk.HealthRequest{Endpoint: " "}); !errors.Is(err, sdk.ErrBadRequest) {
			t.Errorf("Health(no endpoint) error = %v, want one wrapping sdk.ErrBadRequest", err)
		}
	})
	t.Run("not a server of this kind", func(t *testing.T) {
		h, err := llamacpp.New().Health(ctx, sdk.HealthRequest{Endpoint: notFound.URL + "/v1", Models: []string{"m"}})
		if err != nil || h.Up || !strings.Contains(strings.Join(h.Notes, "\n"), "no such route") {
			t.Errorf("Health(404 everywhere) = %+v, %v, want down with notes naming the missing routes", h, err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		h, err := llamacpp.New().Health(ctx, sdk.HealthRequest{Endpoint: closedURL + "/v1", Models: []string{"m"}})
		if err != nil || h.Up || len(h.Notes) != 1 || !reflect.DeepEqual(h.Models, []sdk.ModelStatus{{ID: "m"}}) {
			t.Errorf("Health(closed port) = %+v, %v, want down with a note and m not served", h, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := llamacpp.New().Health(cctx, sdk.HealthRequest{Endpoint: notFound.URL + "/v1"}); !errors.Is(err, context.Canceled) {
			t.Errorf("Health(cancelled) error = %v, want one wrapping context.Canceled", err)
		}
	})
}
