package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

const modelID = "HuggingFaceM4/idefics2-8b"

// tgi is a stand-in for TGI as far as the plugin sees it: GET /health
// (200, empty body, when ready), GET /info (model_id, version), GET
// /v1/models (TGI answers one model object, not a list) and POST
// /v1/chat/completions, which answers for any model id. Its model names
// the colour of the image it is sent when it sees; blind, it answers
// anyway.
type tgi struct{ sees bool }

func (s tgi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/health":
	case r.Method == http.MethodGet && r.URL.Path == "/info":
		_, _ = w.Write([]byte(`{"model_id":"` + modelID + `","model_sha":null,"model_pipeline_tag":"image-text-to-text","max_concurrent_requests":128,"max_input_tokens":4095,"max_total_tokens":4096,"router":"text-generation-router","version":"3.3.4","sha":null,"docker_label":null}`))
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		_, _ = w.Write([]byte(`{"id":"` + modelID + `","object":"model","created":1718000000,"owned_by":"` + modelID + `"}`))
	case r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions":
		answer := "I cannot tell."
		if s.sees {
			answer = "The image is " + colourIn(r) + "."
		}
		body, _ := json.Marshal(map[string]any{
			"object": "chat.completion", "id": "", "created": 1718000000, "model": modelID, "system_fingerprint": "3.3.4-native",
			"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": answer}, "logprobs": nil, "finish_reason": "stop"}},
			"usage":   map[string]int{"prompt_tokens": 80, "completion_tokens": 5, "total_tokens": 85},
		})
		_, _ = w.Write(body)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestConformance(t *testing.T) {
	plugintest.Run(t, New(), plugintest.WithName("tgi"))
}

func TestConformanceBinary(t *testing.T) {
	// go test puts its own GOROOT/bin first on the test's PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("finding the go command: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "imageworks-backend-tgi")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	plugintest.RunBinary(t, bin)
}

// TestThroughTheLoader uses the backend the way imageworks-loader's
// select, backends and probe-vision do, through core.
func TestThroughTheLoader(t *testing.T) {
	for _, sees := range []bool{true, false} {
		srv := httptest.NewServer(tgi{sees: sees})
		defer srv.Close()
		dir := t.TempDir()
		curated := `[{"name": "idefics", "backend": "tgi", "backend_config": {"base_url": "` + srv.URL + `/v1"},
  "capabilities": {"vision": {"enabled": true}}}]`
		if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		l, err := core.Open(ctx, core.Options{RegistryDir: dir, Backends: map[string]sdk.Backend{"tgi": New()}})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()

		sel, err := l.Select(ctx, "idefics", core.SelectOptions{Live: true})
		if err != nil || sel.Endpoint != srv.URL+"/v1" || sel.Live == nil || !sel.Live.Up || !sel.Live.Served {
			t.Errorf("Select(idefics, live) = %+v, %v, want the endpoint, up and served (TGI takes any id)", sel, err)
		}
		rows, err := l.Health(ctx)
		if err != nil || len(rows) != 1 || !rows[0].Up || len(rows[0].Served) != 1 || len(rows[0].NotServed) != 0 ||
			!strings.Contains(strings.Join(rows[0].Notes, "\n"), `serves one model, "`+modelID+`", under any requested id`) {
			t.Errorf("Health() = %+v, %v, want idefics up and served, with a note that any id is served", rows, err)
		}
		rep, err := l.ProbeVision(ctx, "idefics", core.ProbeOptions{})
		if err != nil || rep.VisionOK != sees {
			t.Errorf("ProbeVision(idefics) with a model that sees %v = %+v, %v, want vision_ok %v", sees, rep, err, sees)
		}
	}
}

// colourIn names the colour of the first pixel of the image a chat request
// carries as a data URL, or "" when there is none.
func colourIn(r *http.Request) string {
	var req struct {
		Messages []struct {
			Content []struct {
				ImageURL struct{ URL string } `json:"image_url"`
			}
		}
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil {
		return ""
	}
	for _, m := range req.Messages {
		for _, c := range m.Content {
			_, b64, ok := strings.Cut(c.ImageURL.URL, ";base64,")
			data, err := base64.StdEncoding.DecodeString(b64)
			if !ok || err != nil {
				continue
			}
			if img, _, err := image.Decode(bytes.NewReader(data)); err == nil {
				return nearest(img.At(img.Bounds().Min.X, img.Bounds().Min.Y))
			}
		}
	}
	return ""
}

// nearest names the palette colour nearest to c.
func nearest(c color.Color) string {
	palette := map[string]color.RGBA{
		"black": {0, 0, 0, 255}, "white": {255, 255, 255, 255}, "red": {255, 0, 0, 255}, "green": {0, 200, 0, 255},
		"blue": {0, 0, 255, 255}, "yellow": {255, 255, 0, 255}, "cyan": {0, 255, 255, 255}, "magenta": {255, 0, 255, 255},
		"orange": {255, 165, 0, 255}, "purple": {128, 0, 128, 255}, "gray": {128, 128, 128, 255},
	}
	r, g, b, _ := c.RGBA()
	best, bestD := "", -1
	for name, p := range palette {
		dr, dg, db := int(r>>8)-int(p.R), int(g>>8)-int(p.G), int(b>>8)-int(p.B)
		if d := dr*dr + dg*dg + db*db; bestD < 0 || d < bestD || d == bestD && name < best {
			best, bestD = name, d
		}
	}
	return best
}
