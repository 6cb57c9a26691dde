package backendutil

import (
	"context"
	"errors"
	"image/color"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
)

func testSpec() Spec {
	return Spec{Name: "demo", Version: "0.1.0", DefaultPort: 9999, Implements: []string{sdk.CallHealth, sdk.CallListModels}}
}

func TestBaseInfo(t *testing.T) {
	b := NewBase(testSpec(), nil)
	info, err := b.Info(context.Background())
	want := sdk.Info{Name: "demo", Version: "0.1.0", Protocols: []int{sdk.ProtocolVersion}, DefaultPort: 9999,
		Implements: []string{sdk.CallHealth, sdk.CallListModels}}
	if err != nil || !reflect.DeepEqual(info, want) {
		t.Fatalf("Info() = %+v, %v, want %+v, nil", info, err, want)
	}
	info.Implements[0] = "changed"
	if again, _ := b.Info(context.Background()); again.Implements[0] != sdk.CallHealth {
		t.Errorf("Info().Implements shares the Spec's slice: a caller's change shows in %q", again.Implements)
	}
}

func TestBaseResolve(t *testing.T) {
	var got []sdk.HealthRequest
	health := func(_ context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
		got = append(got, req)
		if req.Models[0] == "fail" {
			return sdk.HealthStatus{}, sdk.ErrUnauthorized
		}
		return sdk.HealthStatus{Up: true}, nil
	}
	b := NewBase(testSpec(), health)
	ctx := context.Background()
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}})
	if err != nil || res.Endpoint != "http://localhost:9999/v1" || res.InternalModelID != "m" || res.Live != nil || len(got) != 0 {
		t.Errorf("Resolve(no live) = %+v, %v (health called %d times), want the default port, id m, no live check", res, err, len(got))
	}
	res, err = b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", Config: sdk.BackendConfig{Host: "gpu", Port: 1}}, Live: true, APIKey: "k"})
	want := sdk.HealthRequest{Endpoint: "http://gpu:1/v1", Models: []string{"m"}, APIKey: "k"}
	if err != nil || res.Live == nil || !res.Live.Up || len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("Resolve(live) = %+v, %v, health got %+v, want Live up and health asked %+v", res, err, got, want)
	}
	if _, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{Name: "fail"}, Live: true}); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("Resolve(live, health fails) error = %v, want sdk.ErrUnauthorized", err)
	}
}

func TestBaseListModelsAndServed(t *testing.T) {
	s := standin.NewVLLM(standin.Config{APIKey: "k", Models: []standin.Model{{ID: "a", Aliases: []string{"a2"}}, {ID: "b"}}})
	defer s.Close()
	ctx := context.Background()
	b := NewBase(testSpec(), nil)
	models, err := b.ListModels(ctx, sdk.ListModelsRequest{Endpoint: s.Endpoint(), APIKey: "k"})
	if err != nil || len(models) != 2 || models[0].ID != "a" || !reflect.DeepEqual(models[0].Aliases, []string{"a2"}) {
		t.Errorf("ListModels() = %+v, %v, want a (alias a2) and b", models, err)
	}
	if _, err := b.ListModels(ctx, sdk.ListModelsRequest{Endpoint: " "}); !errors.Is(err, sdk.ErrBadRequest) || !strings.HasPrefix(err.Error(), "demo: ") {
		t.Errorf("ListModels(no endpoint) error = %v, want sdk.ErrBadRequest prefixed by the name", err)
	}
	if _, err := b.ListModels(ctx, sdk.ListModelsRequest{Endpoint: s.Endpoint(), APIKey: "wrong"}); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("ListModels(wrong key) error = %v, want sdk.ErrUnauthorized", err)
	}

	req := sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"a2", "c"}, APIKey: "k"}
	hs, err := ListServed(ctx, b, req, sdk.HealthStatus{Up: true})
	wantModels := []sdk.ModelStatus{{ID: "a2", Served: true}, {ID: "c"}}
	if err != nil || !reflect.DeepEqual(hs.Served, []string{"a", "a2", "b"}) || !reflect.DeepEqual(hs.Models, wantModels) {
		t.Errorf("ListServed() = %+v, %v, want served a, a2, b and models %+v", hs, err, wantModels)
	}
	req.APIKey = "wrong"
	if _, err := ListServed(ctx, b, req, sdk.HealthStatus{Up: true}); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("ListServed(wrong key) error = %v, want sdk.ErrUnauthorized", err)
	}
	dead := standin.NewVLLM(standin.Config{Fail: standin.Failure{Mode: standin.FailInternal}})
	defer dead.Close()
	hs, err = ListServed(ctx, b, sdk.HealthRequest{Endpoint: dead.Endpoint()}, sdk.HealthStatus{Up: true})
	if err != nil || len(hs.Notes) != 1 || !strings.HasPrefix(hs.Notes[0], "listing models: ") {
		t.Errorf("ListServed(500) = %+v, %v, want a note and no error", hs, err)
	}
}

func TestBaseSetters(t *testing.T) {
	b := NewBase(testSpec(), nil)
	hc := &http.Client{}
	SetHTTPClient(b, hc)
	SetHTTPClient(b, nil)
	SetClock(b, nil)
	if b.hc != hc || b.now == nil {
		t.Errorf("after SetHTTPClient(hc), SetHTTPClient(nil), SetClock(nil): client kept = %v, clock set = %v, want true, true", b.hc == hc, b.now != nil)
	}
}

func TestBaseProbeTarget(t *testing.T) {
	png := standin.SolidPNG(color.RGBA{255, 0, 0, 255})
	b := NewBase(testSpec(), nil)
	tests := []struct {
		name string
		req  sdk.ProbeRequest
		want ProbeTarget
	}{
		{"defaults", sdk.ProbeRequest{Entry: sdk.Entry{Name: "m", ServedModelID: "served"}, Image: png},
			ProbeTarget{Endpoint: "http://localhost:9999/v1", Model: "served", Prompt: DefaultPrompt, MIME: "image/png"}},
		{"request wins", sdk.ProbeRequest{Entry: sdk.Entry{Name: "m"}, Endpoint: "http://h/v1", ModelID: "id", Prompt: "what?", Image: png, MIMEType: "image/webp"},
			ProbeTarget{Endpoint: "http://h/v1", Model: "id", Prompt: "what?", MIME: "image/webp"}},
		{"blank prompt", sdk.ProbeRequest{Entry: sdk.Entry{Name: "m"}, Prompt: "  ", Image: png},
			ProbeTarget{Endpoint: "http://localhost:9999/v1", Model: "m", Prompt: DefaultPrompt, MIME: "image/png"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Target(b, tt.req)
			if err != nil || got != tt.want {
				t.Errorf("ProbeTarget() = %+v, %v, want %+v, nil", got, err, tt.want)
			}
		})
	}
	if _, err := Target(b, sdk.ProbeRequest{Image: []byte("not an image")}); !errors.Is(err, sdk.ErrBadRequest) || !strings.HasPrefix(err.Error(), "demo: probe: ") {
		t.Errorf("ProbeTarget(text) error = %v, want sdk.ErrBadRequest prefixed by the name", err)
	}
}
