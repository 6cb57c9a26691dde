package openai_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// singleServer answers /health, /info (TGI's model_id) and /v1/models with
// the given cards.
func singleServer(t *testing.T, cards ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
		case "/info":
			fmt.Fprint(w, `{"model_id":"org/model-7b","version":"3.3.4"}`)
		case "/v1/models":
			var data []string
			for _, c := range cards {
				data = append(data, `{"id":"`+c+`","object":"model","created":1,"owned_by":"llamacpp"}`)
			}
			fmt.Fprint(w, `{"object":"list","data":[`+strings.Join(data, ",")+`]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBackendSingleModel(t *testing.T) {
	ctx := context.Background()
	req := func(srv *httptest.Server) sdk.HealthRequest {
		return sdk.HealthRequest{Endpoint: srv.URL + "/v1", Models: []string{"anything", "else"}}
	}
	all := []sdk.ModelStatus{{ID: "anything", Served: true}, {ID: "else", Served: true}}
	for _, tc := range []struct {
		name       string
		b          *openai.Backend
		srv        *httptest.Server
		served     []string
		models     []sdk.ModelStatus
		noteSubstr string
	}{
		{"named by /info", openai.NewBackend("tgi", "0", 3000, openai.WithSingleModel("/info", "model_id")),
			singleServer(t), []string{"org/model-7b"}, all, `serves one model, "org/model-7b", under any requested id`},
		{"named by the only card", openai.NewBackend("l", "0", 8080, openai.WithSingleModel("", "")),
			singleServer(t, "m.gguf"), []string{"m.gguf"}, all, `serves one model, "m.gguf", under any requested id`},
		{"two cards", openai.NewBackend("l", "0", 8080, openai.WithSingleModel("", "")),
			singleServer(t, "a", "b"), []string{"a", "b"}, []sdk.ModelStatus{{ID: "anything"}, {ID: "else"}}, "lists 2 models"},
		{"field missing", openai.NewBackend("tgi", "0", 3000, openai.WithSingleModel("/info", "nope")),
			singleServer(t), []string{}, []sdk.ModelStatus{{ID: "anything"}, {ID: "else"}}, `GET /info has no string "nope"`},
		{"not single", openai.NewBackend("x", "0", 1),
			singleServer(t, "a"), []string{"a"}, []sdk.ModelStatus{{ID: "anything"}, {ID: "else"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tc.b.Health(ctx, req(tc.srv))
			if err != nil || !h.Up || !reflect.DeepEqual(h.Served, tc.served) || !reflect.DeepEqual(h.Models, tc.models) ||
				!strings.Contains(strings.Join(h.Notes, "\n"), tc.noteSubstr) {
				t.Errorf("Health() = %+v, %v, want up, served %q, models %+v, a note with %q", h, err, tc.served, tc.models, tc.noteSubstr)
			}
		})
	}
}

// Without a health route, /v1/models decides: listed is up, unreachable is
// down, a route the server lacks is down with a note saying so.
func TestBackendJudgedByModels(t *testing.T) {
	ctx := context.Background()
	b := openai.NewBackend("plain", "0", 1)
	s := standin.NewOpenAI(standin.Config{Models: []standin.Model{{ID: "m"}}})
	defer s.Close()
	h, err := b.Health(ctx, sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"m"}})
	if err != nil || !h.Up || !h.Models[0].Served || len(h.Notes) != 0 {
		t.Errorf("Health(plain server) = %+v, %v, want up, m served, no notes", h, err)
	}
	h, err = b.Health(ctx, sdk.HealthRequest{Endpoint: s.URL + "/wrong", Models: []string{"m"}})
	if err != nil || h.Up || len(h.Notes) != 1 || !strings.Contains(h.Notes[0], "no such route") {
		t.Errorf("Health(wrong path) = %+v, %v, want down with a note saying the route is missing", h, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	h, err = b.Health(ctx, sdk.HealthRequest{Endpoint: closed, Models: []string{"m"}})
	if err != nil || h.Up || len(h.Notes) != 1 {
		t.Errorf("Health(closed port) = %+v, %v, want down with a note", h, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Health(cctx, sdk.HealthRequest{Endpoint: s.Endpoint()}); err == nil {
		t.Errorf("Health(cancelled) error = nil, want the cancellation")
	}
}

// A complete backend for an OpenAI-compatible server with its own health
// route: Hugging Face TGI, whose GET /info names the one model it serves
// under any id. Serve it with os.Exit(sdk.Serve(newTGI())).
func ExampleNewBackend() {
	newTGI := func() *openai.Backend {
		return openai.NewBackend("tgi", "0.1.0", 3000,
			openai.WithHealthRoute("/health"),
			openai.WithSingleModel("/info", "model_id"),
		)
	}
	b := newTGI()
	info, _ := b.Info(context.Background())
	fmt.Println(info.Name, info.DefaultPort, sdk.Implemented(b, info))
	res, _ := b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "idefics", Config: sdk.BackendConfig{Host: "gpu"}}})
	fmt.Println(res.Endpoint, res.InternalModelID)
	// Output:
	// tgi 3000 [Health ListModels ProbeVision]
	// http://gpu:3000/v1 idefics
}
