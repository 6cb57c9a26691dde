package standin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redPNG returns a solid-colour PNG.
func solidPNG(t *testing.T, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := range 32 {
		for x := range 32 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// call sends a request and returns the status and body.
func call(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// canonJSON re-encodes JSON with sorted keys, for comparison.
func canonJSON(t *testing.T, s string) string {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "NOT JSON: " + s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func chatBody(model string, image []byte) string {
	parts := `[{"type":"text","text":"What colour?"}`
	if image != nil {
		parts += `,{"type":"image_url","image_url":{"url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(image) + `"}}`
	}
	return `{"model":"` + model + `","messages":[{"role":"user","content":` + parts + `]}]}`
}

type exchange struct {
	name, method, path, key, body string
	status                        int
	want                          string // canonical JSON, "" for an empty body, or "~text" for a substring
}

func runExchanges(t *testing.T, s *Server, tests []exchange) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, s.URL+tt.path, tt.key, tt.body)
			if status != tt.status {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, status, body, tt.status)
			}
			if sub, ok := strings.CutPrefix(tt.want, "~"); ok {
				if !strings.Contains(body, sub) {
					t.Errorf("%s %s body = %s, want it to contain %q", tt.method, tt.path, body, sub)
				}
				return
			}
			if got, want := canonJSON(t, body), canonJSON(t, tt.want); got != want {
				t.Errorf("%s %s body = %s, want %s", tt.method, tt.path, got, want)
			}
		})
	}
}

func TestVLLM(t *testing.T) {
	red := solidPNG(t, color.RGBA{255, 0, 0, 255})
	s := NewVLLM(Config{APIKey: "k", Models: []Model{
		{ID: "qwen-vl", Aliases: []string{"caption"}, Root: "/models/Qwen2.5-VL-7B-Instruct", Vision: true},
		{ID: "llama", Answer: "I am text."},
		{ID: "sql-lora", Parent: "llama", Root: "/adapters/sql"},
	}})
	defer s.Close()
	runExchanges(t, s, []exchange{
		{"health empty", "GET", "/health", "", "", 200, ""},
		{"ping", "POST", "/ping", "", "", 200, ""},
		{"version", "GET", "/version", "", "", 200, `{"version":"0.11.0"}`},
		{"models needs key", "GET", "/v1/models", "", "", 401, `{"error":"Unauthorized"}`},
		{"models wrong key", "GET", "/v1/models", "nope", "", 401, `{"error":"Unauthorized"}`},
		{"models alias card", "GET", "/v1/models", "k", "", 200, `~"id":"caption"`},
		{"lora parent", "GET", "/v1/models", "k", "", 200, `~"parent":"llama"`},
		{"chat sees red", "POST", "/v1/chat/completions", "k", chatBody("caption", red), 200, `~The image is a solid red square.`},
		{"chat answers as alias", "POST", "/v1/chat/completions", "k", chatBody("caption", red), 200, `~"model":"caption"`},
		{"unknown model nested", "POST", "/v1/chat/completions", "k", chatBody("foo", nil), 404,
			`{"error":{"message":"The model ` + "`foo`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}}`},
		{"image to text-only", "POST", "/v1/chat/completions", "k", chatBody("llama", red), 400,
			`{"error":{"message":"llama is not a multimodal model","type":"BadRequestError","param":null,"code":400}}`},
		{"text to text-only", "POST", "/v1/chat/completions", "k", chatBody("llama", nil), 200, `~I am text.`},
		{"http image url", "POST", "/v1/chat/completions", "k",
			`{"model":"qwen-vl","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/a.png"}}]}]}`, 400, `~only base64 data: image URLs`},
	})
	var card map[string]any
	_, body := call(t, "GET", s.URL+"/v1/models", "k", "")
	var list struct {
		Object string           `json:"object"`
		Data   []map[string]any `json:"data"`
	}
	json.Unmarshal([]byte(body), &list)
	if list.Object != "list" || len(list.Data) != 4 {
		t.Fatalf("GET /v1/models = %s, want a list of 4 cards", body)
	}
	card = list.Data[1]
	if card["id"] != "caption" || card["root"] != "/models/Qwen2.5-VL-7B-Instruct" || card["owned_by"] != "vllm" || card["max_model_len"] != 32768.0 || card["parent"] != nil {
		t.Errorf("alias card = %v, want caption sharing root, owned_by vllm, max_model_len 32768, parent null", card)
	}
}

func TestVLLMOldFlat404(t *testing.T) {
	s := NewVLLM(Config{Version: "0.10.0", Models: []Model{{ID: "m"}}})
	defer s.Close()
	runExchanges(t, s, []exchange{
		{"flat 404", "POST", "/v1/chat/completions", "", chatBody("foo", nil), 404,
			`{"object":"error","message":"The model ` + "`foo`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`},
	})
	s2 := NewVLLM(Config{Version: "0.10.1", Models: []Model{{ID: "m"}}})
	defer s2.Close()
	runExchanges(t, s2, []exchange{
		{"nested from 0.10.1", "POST", "/v1/chat/completions", "", chatBody("foo", nil), 404, `~{"error":{`},
	})
}

func TestVLLMDead(t *testing.T) {
	s := NewVLLM(Config{Status: "dead"})
	defer s.Close()
	runExchanges(t, s, []exchange{{"503", "GET", "/health", "", "", 503, ""}})
	s.SetStatus("")
	runExchanges(t, s, []exchange{{"back up", "GET", "/health", "", "", 200, ""}})
}

func TestLMDeploy(t *testing.T) {
	red := solidPNG(t, color.RGBA{255, 0, 0, 255})
	s := NewLMDeploy(Config{APIKey: "k", Models: []Model{{ID: "internvl", Vision: true}, {ID: "qwen-text"}}})
	defer s.Close()
	runExchanges(t, s, []exchange{
		{"health json no key", "GET", "/health", "", "", 200, `{"status":"healthy","message":"server is healthy"}`},
		{"models needs key", "GET", "/v1/models", "", "", 401,
			`{"message":"Please request with valid api key!","type":"authentication_error","code":401,"param":null,"object":"error"}`},
		{"models root is name", "GET", "/v1/models", "k", "", 200, `~"root":"qwen-text"`},
		{"models owned by", "GET", "/v1/models", "k", "", 200, `~"owned_by":"lmdeploy"`},
		{"unknown model flat", "POST", "/v1/chat/completions", "k", chatBody("foo", nil), 404,
			`{"message":"The model 'foo' does not exist.","type":"not_found_error","code":404,"param":null,"object":"error"}`},
		{"model required", "POST", "/v1/chat/completions", "k", chatBody("", nil), 404, `~does not exist`},
		{"text-only answers anyway", "POST", "/v1/chat/completions", "k", chatBody("qwen-text", red), 200, `~cannot see`},
		{"vision sees", "POST", "/v1/chat/completions", "k", chatBody("internvl", red), 200, `~solid red`},
		{"reasoning_content null", "POST", "/v1/chat/completions", "k", chatBody("internvl", red), 200, `~"reasoning_content":null`},
		{"bare string image_url", "POST", "/v1/chat/completions", "k",
			`{"model":"internvl","messages":[{"role":"user","content":[{"type":"image_url","image_url":"data:image/png;base64,` + base64.StdEncoding.EncodeToString(red) + `"}]}]}`, 200, `~solid red`},
	})
	var noMax map[string]any
	_, body := call(t, "GET", s.URL+"/v1/models", "k", "")
	var list struct{ Data []map[string]any }
	json.Unmarshal([]byte(body), &list)
	noMax = list.Data[0]
	if _, ok := noMax["max_model_len"]; ok {
		t.Errorf("LMDeploy card = %v, want no max_model_len", noMax)
	}
}

func TestLMDeployVersions(t *testing.T) {
	tests := []struct {
		version, status string
		code            int
		want            string
	}{
		{"0.16.0", "sleeping", 200, `{"status":"sleeping","message":"server is sleeping"}`},
		{"0.16.0", "unhealthy", 503, `{"status":"unhealthy","message":"server is unhealthy"}`},
		{"0.16.0", "initializing", 503, `{"status":"initializing","message":"server is initializing"}`},
		{"0.13.0", "", 200, ``},
		{"0.13.0", "unhealthy", 503, ``},
	}
	for _, tt := range tests {
		t.Run(tt.version+" "+tt.status, func(t *testing.T) {
			s := NewLMDeploy(Config{Version: tt.version, Status: tt.status})
			defer s.Close()
			runExchanges(t, s, []exchange{{"health", "GET", "/health", "", "", tt.code, tt.want}})
		})
	}
	old := NewLMDeploy(Config{Version: "0.13.0", APIKey: "k"})
	defer old.Close()
	runExchanges(t, old, []exchange{
		{"old 401", "GET", "/v1/models", "", "", 401, `{"error":"Unauthorized"}`},
		{"old 404 type", "POST", "/v1/chat/completions", "k", chatBody("foo", nil), 404, `~"type":"invalid_request_error"`},
	})
}

func TestOllama(t *testing.T) {
	red := solidPNG(t, color.RGBA{255, 0, 0, 255})
	b64 := base64.StdEncoding.EncodeToString(red)
	s := NewOllama(Config{APIKey: "ignored", Models: []Model{
		{ID: "llava", Vision: true, Family: "llama"},
		{ID: "qwen3:8b", Family: "qwen3", Capabilities: []string{"completion", "tools", "thinking"}},
	}})
	defer s.Close()
	runExchanges(t, s, []exchange{
		{"root", "GET", "/", "", "", 200, "~Ollama is running"},
		{"version", "GET", "/api/version", "", "", 200, `{"version":"0.13.0"}`},
		{"tags latest", "GET", "/api/tags", "", "", 200, `~"name":"llava:latest"`},
		{"tags details", "GET", "/api/tags", "", "", 200, `~"families":["llama","clip"]`},
		{"show llava", "POST", "/api/show", "", `{"model":"llava"}`, 200, `~"capabilities":["completion","vision"]`},
		{"show latest both ways", "POST", "/api/show", "", `{"model":"llava:latest"}`, 200, `~"general.architecture":"llama"`},
		{"show name fallback", "POST", "/api/show", "", `{"name":"qwen3:8b"}`, 200, `~"capabilities":["completion","tools","thinking"]`},
		{"show missing", "POST", "/api/show", "", `{"model":"foo"}`, 404, `{"error":"model 'foo' not found"}`},
		{"show no name", "POST", "/api/show", "", `{}`, 400, `{"error":"model is required"}`},
		{"chat sees", "POST", "/api/chat", "", `{"model":"llava","stream":false,"messages":[{"role":"user","content":"colour?","images":["` + b64 + `"]}]}`, 200, `~solid red`},
		{"chat done", "POST", "/api/chat", "", `{"model":"llava","stream":false,"messages":[{"role":"user","content":"hi"}]}`, 200, `~"done":true`},
		{"chat data prefix rejected", "POST", "/api/chat", "", `{"model":"llava","stream":false,"messages":[{"role":"user","content":"c","images":["data:image/png;base64,` + b64 + `"]}]}`, 400, `~illegal base64`},
		{"chat blind", "POST", "/api/chat", "", `{"model":"qwen3:8b","stream":false,"messages":[{"role":"user","content":"c","images":["` + b64 + `"]}]}`, 200, `~cannot see`},
		{"chat missing", "POST", "/api/chat", "", `{"model":"foo","stream":false,"messages":[]}`, 404, `{"error":"model 'foo' not found"}`},
		{"chat streams by default", "POST", "/api/chat", "", `{"model":"llava","messages":[{"role":"user","content":"hi"}]}`, 200, `~"done":false`},
		{"ps", "GET", "/api/ps", "", "", 200, `~"size_vram"`},
		{"v1 models", "GET", "/v1/models", "", "", 200, `~"id":"qwen3:8b"`},
		{"v1 chat rejects http", "POST", "/v1/chat/completions", "", `{"model":"llava","messages":[{"role":"user","content":[{"type":"image_url","image_url":"https://x/a.png"}]}]}`, 400, `~"invalid_request_error"`},
		{"v1 chat bare data", "POST", "/v1/chat/completions", "", `{"model":"llava","messages":[{"role":"user","content":[{"type":"image_url","image_url":"data:image/png;base64,` + b64 + `"}]}]}`, 200, `~solid red`},
	})
	old := NewOllama(Config{Version: "0.6.3", Models: []Model{{ID: "llava", Vision: true}}})
	defer old.Close()
	_, body := call(t, "POST", old.URL+"/api/show", "", `{"model":"llava"}`)
	if strings.Contains(body, "capabilities") {
		t.Errorf("Ollama 0.6.3 /api/show = %s, want no capabilities", body)
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		kind   Kind
		fail   Failure
		path   string
		status int
		want   string
	}{
		{VLLM, Failure{Mode: FailInternal}, "/v1/models", 500, `{"error":{"message":"Internal server error","type":"InternalServerError","param":null,"code":500}}`},
		{LMDeploy, Failure{Mode: FailInternal}, "/v1/models", 500, `{"message":"Internal server error","type":"InternalServerError","code":500,"param":null,"object":"error"}`},
		{Ollama, Failure{Mode: FailInternal}, "/api/tags", 500, `{"error":"Internal server error"}`},
		{VLLM, Failure{Mode: FailBadJSON}, "/v1/models", 200, `{"object":"list","data":[{"id":`},
		{VLLM, Failure{Mode: FailInternal, Path: "/v1/chat/completions"}, "/v1/models", 200, `~"object":"list"`},
		{VLLM, Failure{Mode: FailSlow, Delay: 50 * time.Millisecond}, "/v1/models", 200, `~"object":"list"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+string(tt.fail.Mode)+" "+tt.path, func(t *testing.T) {
			s, err := New(tt.kind, Config{Fail: tt.fail, Models: []Model{{ID: "m"}}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			runExchanges(t, s, []exchange{{"call", "GET", tt.path, "", "", tt.status, tt.want}})
		})
	}
	if _, err := New("tgi", Config{}); err == nil {
		t.Errorf("New(tgi) = nil error, want an unknown-kind error")
	}
}

func TestSlowGivesUpWithClient(t *testing.T) {
	s := NewVLLM(Config{Fail: Failure{Mode: FailSlow, Delay: time.Minute}})
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/health", nil)
	start := time.Now()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatalf("GET /health on a slow stand-in succeeded, want a timeout")
	}
	s.Close()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close after a client gave up took %v, want promptly", d)
	}
}

func TestRequestsRecorded(t *testing.T) {
	s := NewVLLM(Config{Models: []Model{{ID: "m", Vision: true}}})
	defer s.Close()
	call(t, "GET", s.URL+"/health", "", "")
	call(t, "POST", s.URL+"/v1/chat/completions", "key1", chatBody("m", nil))
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[0].Path != "/health" || reqs[1].Method != "POST" {
		t.Fatalf("Requests() = %+v, want GET /health then POST /v1/chat/completions", reqs)
	}
	if got := reqs[1].Header.Get("Authorization"); got != "Bearer key1" {
		t.Errorf("recorded Authorization = %q, want Bearer key1", got)
	}
	var body struct{ Model string }
	if err := reqs[1].DecodeJSON(&body); err != nil || body.Model != "m" {
		t.Errorf("recorded body model = %q, %v, want m", body.Model, err)
	}
	if got := s.RequestsTo("/v1/chat/completions"); len(got) != 1 {
		t.Errorf("RequestsTo(chat) = %d requests, want 1", len(got))
	}
	if s.Endpoint() != s.URL+"/v1" {
		t.Errorf("Endpoint() = %q, want URL + /v1", s.Endpoint())
	}
}

func TestImageErrorsKeepCause(t *testing.T) {
	var c oaiChat
	if err := json.Unmarshal([]byte(`{"messages":[{"role":"user","content":[{"type":1}]}]}`), &c); err != nil {
		t.Fatal(err)
	}
	_, err := c.imageURLs()
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		t.Errorf("imageURLs() error = %v, want a *json.UnmarshalTypeError", err)
	}
	_, err = decodeDataURL("data:image/png;base64,!!")
	var b64 base64.CorruptInputError
	if !errors.As(err, &b64) {
		t.Errorf("decodeDataURL(bad base64) error = %v, want a base64.CorruptInputError", err)
	}
}

func TestColourOf(t *testing.T) {
	tests := []struct {
		c    color.Color
		want string
	}{
		{color.RGBA{255, 0, 0, 255}, "red"},
		{color.RGBA{0, 0, 255, 255}, "blue"},
		{color.RGBA{0, 200, 0, 255}, "green"},
		{color.RGBA{250, 250, 10, 255}, "yellow"},
		{color.RGBA{255, 255, 255, 255}, "white"},
	}
	for _, tt := range tests {
		got, err := colourOf(solidPNG(t, tt.c))
		if err != nil || got != tt.want {
			t.Errorf("colourOf(%v) = %q, %v, want %q", tt.c, got, err, tt.want)
		}
	}
	if _, err := colourOf([]byte("not an image")); err == nil {
		t.Errorf("colourOf(text) = nil error, want a decode error")
	}
}

func TestVersionBefore(t *testing.T) {
	tests := []struct {
		v, ref string
		want   bool
	}{
		{"0.10.0", "0.10.1", true}, {"0.10.1", "0.10.1", false}, {"0.11.0", "0.10.1", false},
		{"0.9.2", "0.10.1", true}, {"v0.13.0", "0.14", true}, {"0.14.0rc1", "0.14", false}, {"", "0.14", false},
	}
	for _, tt := range tests {
		if got := versionBefore(tt.v, tt.ref); got != tt.want {
			t.Errorf("versionBefore(%q, %q) = %v, want %v", tt.v, tt.ref, got, tt.want)
		}
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "url")
	reqFile := filepath.Join(dir, "requests.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- Run(ctx, []string{"vllm", "--models", "qwen-vl,llama", "--vision", "qwen-vl", "--alias", "qwen-vl=caption",
			"--answer", "red", "--api-key", "k", "--url-file", urlFile, "--requests-file", reqFile}, &stdout, &stderr)
	}()
	url, err := WaitForFile(context.Background(), urlFile, 5*time.Second)
	if err != nil {
		cancel()
		t.Fatalf("WaitForFile() = %v (stderr %s)", err, stderr.String())
	}
	status, body := call(t, "POST", url+"/v1/chat/completions", "k", chatBody("caption", solidPNG(t, color.Black)))
	if status != 200 || !strings.Contains(body, `"content":"red"`) {
		t.Errorf("chat via the command = %d %s, want 200 answering red", status, body)
	}
	status, _ = call(t, "POST", url+"/v1/chat/completions", "k", chatBody("llama", solidPNG(t, color.Black)))
	if status != 400 {
		t.Errorf("image to text-only llama via the command = %d, want 400", status)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("Run() = %d, want 0 after cancel (stderr %s)", code, stderr.String())
	}
	if strings.TrimSpace(stdout.String()) != url {
		t.Errorf("Run() printed %q, want the URL %q", stdout.String(), url)
	}
	log, err := os.ReadFile(reqFile)
	if err != nil || strings.Count(string(log), "\n") != 2 || !strings.Contains(string(log), `"path":"/v1/chat/completions"`) {
		t.Errorf("requests file = %q, %v, want two JSON lines of chat requests", log, err)
	}
}

func TestRunUsage(t *testing.T) {
	tests := [][]string{
		nil,
		{"--models", "x"},
		{"tgi"},
		{"vllm", "--fail", "explode"},
		{"vllm", "--alias", "nobody=x"},
		{"vllm", "extra"},
	}
	for _, args := range tests {
		var out, errOut bytes.Buffer
		if code := Run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("Run(%q) = %d, want 2", args, code)
		}
		if errOut.Len() == 0 {
			t.Errorf("Run(%q) wrote nothing to stderr, want a message", args)
		}
	}
}
