package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	h, _, _ := corpus(t, Options{Token: "s3cret-token"})
	tests := []struct {
		path, auth string
		code       int
	}{
		{"/v1/models", "", 401},
		{"/v1/models", "Bearer wrong", 401},
		{"/v1/models", "Bearer s3cret-token-and-more", 401},
		{"/v1/models", "Basic s3cret-token", 401},
		{"/v1/models", "Bearer s3cret-token", 200},
		{"/v1/models", "bearer s3cret-token", 200},
		{"/nowhere", "", 401}, // routes are not revealed without the token
		{"/metrics", "", 401},
		{"/openapi.json", "", 401},
		{"/healthz", "", 200},
	}
	for _, tt := range tests {
		code, body := call(t, h, "GET", tt.path, "", "Authorization", tt.auth)
		if code != tt.code {
			t.Errorf("GET %s with Authorization %q = %d %s, want %d", tt.path, tt.auth, code, body, tt.code)
		}
		if code == 401 && detailOf(t, body) != "Not authenticated" {
			t.Errorf("401 detail = %s", body)
		}
	}
}

// pngBytes is a small valid PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const visionRegistry = `[{"name": "eye", "backend": "servetest", "capabilities": {"vision": true}}]`

func TestImageRoot(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	img := pngBytes(t)
	for _, p := range []string{filepath.Join(root, "in.png"), filepath.Join(outside, "out.png")} {
		if err := os.WriteFile(p, img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, "out.png"), filepath.Join(root, "link.png")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "dirlink")); err != nil {
		t.Fatal(err)
	}
	h, _, _ := handlerFor(t, writeCurated(t, visionRegistry), Options{ImageRoot: root})
	tests := []struct {
		path string
		code int
	}{
		{filepath.Join(root, "in.png"), 200},
		{"in.png", 200},
		{filepath.Join(outside, "out.png"), 403},
		{"../" + filepath.Base(outside) + "/out.png", 403},
		{"link.png", 403},
		{"dirlink/out.png", 403},
		{"/etc/passwd", 403},
		{"missing.png", 400},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]string{"name": "eye", "image_path": tt.path})
		code, out := call(t, h, "POST", "/v1/probe/vision", string(body))
		if code != tt.code {
			t.Errorf("probe image_path %s = %d %s, want %d", tt.path, code, out, tt.code)
		}
	}
	// Without an image root every image_path is refused.
	h, _, _ = handlerFor(t, writeCurated(t, visionRegistry), Options{})
	body, _ := json.Marshal(map[string]string{"name": "eye", "image_path": filepath.Join(root, "in.png")})
	if code, out := call(t, h, "POST", "/v1/probe/vision", string(body)); code != 403 {
		t.Errorf("probe image_path without an image root = %d %s, want 403", code, out)
	}
}

func TestProbeImageInBody(t *testing.T) {
	h, l, _ := handlerFor(t, writeCurated(t, visionRegistry), Options{})
	img := pngBytes(t)
	body, _ := json.Marshal(map[string]string{"name": "eye", "image_base64": base64.StdEncoding.EncodeToString(img), "prompt": "what is in this image?"})
	code, out := call(t, h, "POST", "/v1/probe/vision", string(body))
	rep := decode[map[string]any](t, out)
	if code != 200 || rep["vision_ok"] != true || rep["name"] != "eye" {
		t.Fatalf("probe with image_base64 = %d %s", code, out)
	}
	if e, _ := l.Entry(t.Context(), "eye"); !strings.Contains(string(e.Field("probes")), `"vision_ok": true`) {
		t.Errorf("the probe was not saved: probes = %s", e.Field("probes"))
	}
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	_ = mw.WriteField("name", "eye")
	_ = mw.WriteField("prompt", "describe this image")
	fw, _ := mw.CreateFormFile("image", "x.png")
	_, _ = fw.Write(img)
	_ = mw.Close()
	code, out = call(t, h, "POST", "/v1/probe/vision", form.String(), "Content-Type", mw.FormDataContentType())
	if code != 200 || decode[map[string]any](t, out)["vision_ok"] != true {
		t.Fatalf("probe with a multipart image = %d %s", code, out)
	}
	body, _ = json.Marshal(map[string]string{"name": "eye", "image_base64": base64.StdEncoding.EncodeToString([]byte("not an image at all"))})
	if code, out = call(t, h, "POST", "/v1/probe/vision", string(body)); code != 400 || !strings.Contains(detailOf(t, out), "not an image") {
		t.Errorf("probe of bytes that are no image = %d %s, want 400", code, out)
	}
}

func TestBodyLimits(t *testing.T) {
	h, _, _ := handlerFor(t, writeCurated(t, visionRegistry), Options{MaxImageBytes: 1000})
	big := `{"name": "eye", "pad": "` + strings.Repeat("x", MaxBodyBytes) + `"}`
	if code, out := call(t, h, "POST", "/v1/select", big); code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /v1/select of %d bytes = %d %s, want 413", len(big), code, out)
	}
	// A probe body may carry the image (base64) and a little more.
	huge := `{"name": "eye", "image_base64": "` + strings.Repeat("A", 4000+maxProbeOverhead) + `"}`
	if code, out := call(t, h, "POST", "/v1/probe/vision", huge); code != http.StatusRequestEntityTooLarge {
		t.Errorf("POST /v1/probe/vision of %d bytes = %d %s, want 413", len(huge), code, out)
	}
	// An image over the limit that fits the body is the probe's 400.
	img := append(pngBytes(t), make([]byte, 2000)...)
	body, _ := json.Marshal(map[string]string{"name": "eye", "image_base64": base64.StdEncoding.EncodeToString(img)})
	if code, out := call(t, h, "POST", "/v1/probe/vision", string(body)); code != 400 || !strings.Contains(detailOf(t, out), "limit 1000") {
		t.Errorf("probe of a %d-byte image with a 1000-byte limit = %d %s, want 400", len(img), code, out)
	}
}

func TestAccessLogNoSecrets(t *testing.T) {
	var logged bytes.Buffer
	h, _, _ := corpus(t, Options{Token: "tok-123", Logger: newTestLogger(&logged)})
	call(t, h, "POST", "/v1/select?key=abc", `{"name": "`+gemma+`"}`, "Authorization", "Bearer tok-123")
	call(t, h, "GET", "/nowhere", "")
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("access log = %q, want one line per request", lines)
	}
	for _, s := range []string{"tok-123", gemma, "key=abc"} {
		if strings.Contains(logged.String(), s) {
			t.Errorf("access log shows %q: %s", s, logged.String())
		}
	}
	if !strings.Contains(lines[0], "route=/v1/select") || !strings.Contains(lines[0], "status=200") || !strings.Contains(lines[1], "status=401") {
		t.Errorf("access log = %q, want route and status", lines)
	}
}

func TestHealthzAndOpenAPIServed(t *testing.T) {
	h, _, _ := corpus(t, Options{})
	if code, body := call(t, h, "GET", "/healthz", ""); code != 200 || string(body) != `{"status":"ok"}` {
		t.Errorf("GET /healthz = %d %s", code, body)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc["openapi"] != "3.1.0" {
		t.Errorf("GET /openapi.json = %v, %v", doc["openapi"], err)
	}
}
