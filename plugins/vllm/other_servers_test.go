package vllm

import (
	"context"
	"errors"
	"image/color"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
)

// A plain OpenAI-compatible server (Ollama's /v1 shapes: no /health, no
// /version) is up and serving, not down, and the notes say it is not vLLM.
func TestHealthNotVLLM(t *testing.T) {
	s := standin.NewOpenAI(standin.Config{Models: []standin.Model{{ID: "tiny:latest"}, {ID: "llava:latest", Vision: true}}})
	defer s.Close()
	h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"tiny:latest", "gone"}})
	if err != nil {
		t.Fatalf("Health() = %v", err)
	}
	wantModels := []sdk.ModelStatus{{ID: "tiny:latest", Served: true}, {ID: "gone"}}
	if !h.Up || h.Version != "" || !reflect.DeepEqual(h.Models, wantModels) || !reflect.DeepEqual(h.Served, []string{"llava:latest", "tiny:latest"}) {
		t.Errorf("Health() = %+v, want up, no version, served from /v1/models, models %+v", h, wantModels)
	}
	notes := strings.Join(h.Notes, "\n")
	for _, want := range []string{"GET /health: no such route (HTTP 404)", "not identified as vLLM", `models owned by ["library"]`} {
		if !strings.Contains(notes, want) {
			t.Errorf("Health() notes = %q, want one saying %q", h.Notes, want)
		}
	}
	if strings.Contains(notes, "model not found") {
		t.Errorf("Health() notes = %q call a missing route a missing model", h.Notes)
	}
}

// A server with /health but no /version is up, and not identified as vLLM.
func TestHealthNoVersionRoute(t *testing.T) {
	s := standin.NewLMDeploy(standin.Config{Models: []standin.Model{{ID: "internvl"}}})
	defer s.Close()
	h, err := New().Health(context.Background(), sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"internvl"}})
	if err != nil || !h.Up || !h.Models[0].Served || !strings.Contains(strings.Join(h.Notes, "\n"), "not identified as vLLM") {
		t.Errorf("Health(LMDeploy) = %+v, %v, want up, internvl served, a note that it is not vLLM", h, err)
	}
}

// On a server not identified as vLLM a 200 to an image proves nothing:
// the challenge decides, so a text-only model is never reported as seeing.
func TestProbeVisionNotVLLM(t *testing.T) {
	s := standin.NewOpenAI(standin.Config{Models: []standin.Model{{ID: "tiny:latest"}, {ID: "llava:latest", Vision: true}}})
	defer s.Close()
	challenge := &sdk.Challenge{Image: standin.SolidPNG(color.RGBA{0, 0, 255, 255}), MIMEType: "image/png", Prompt: "What colour?", Expect: []string{"blue"}}
	for _, tc := range []struct {
		model     string
		challenge *sdk.Challenge
		want      bool
		note      string
	}{
		{"tiny:latest", challenge, false, "answer about the challenge image names none of"},
		{"llava:latest", challenge, true, `answer about the challenge image names "blue"`},
		{"llava:latest", nil, false, "vision not proven"},
	} {
		before := len(s.RequestsTo("/v1/chat/completions"))
		res, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: s.Endpoint(), ModelID: tc.model, Image: red, MIMEType: "image/png", Challenge: tc.challenge})
		notes := strings.Join(res.Notes, "\n")
		if err != nil || res.VisionOK != tc.want || !strings.Contains(notes, "not identified as vLLM") || !strings.Contains(notes, tc.note) {
			t.Errorf("ProbeVision(%s, challenge %v) = %+v, %v, want vision_ok %v, notes saying it is not vLLM and %q", tc.model, tc.challenge != nil, res, err, tc.want, tc.note)
		}
		if res.StatusCode != 200 || res.Model != tc.model || !strings.Contains(res.Excerpt, "red") && tc.want {
			t.Errorf("ProbeVision(%s) reports status %d, model %q, excerpt %q, want those of the caller's image", tc.model, res.StatusCode, res.Model, res.Excerpt)
		}
		sent := 1
		if tc.challenge != nil {
			sent = 2
		}
		if got := len(s.RequestsTo("/v1/chat/completions")) - before; got != sent {
			t.Errorf("ProbeVision(%s) sent %d chats, want %d", tc.model, got, sent)
		}
	}
}

// A 404 says what was not found: the model, or a route.
func TestNotFoundNamesWhat(t *testing.T) {
	s := standin.NewOpenAI(standin.Config{Models: []standin.Model{{ID: "tiny:latest"}}})
	defer s.Close()
	_, err := New().ProbeVision(context.Background(), sdk.ProbeRequest{Endpoint: s.Endpoint(), ModelID: "nope", Image: red})
	if !errors.Is(err, sdk.ErrModelNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("ProbeVision(unknown model) = %v, want sdk.ErrModelNotFound naming the model", err)
	}
	_, err = New().ListModels(context.Background(), sdk.ListModelsRequest{Endpoint: s.URL + "/wrong"})
	if errors.Is(err, sdk.ErrModelNotFound) || !errors.Is(err, sdk.ErrBadRequest) || !strings.Contains(err.Error(), "no such route") {
		t.Errorf("ListModels(wrong endpoint) = %v, want sdk.ErrBadRequest saying the route is missing, not a missing model", err)
	}
}
