package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// captured is what a test server saw of one request.
type captured struct {
	method, path, query string
	header              http.Header
	body                string
}

func newServer(t *testing.T, status int, body string) (*httptest.Server, *[]captured) {
	t.Helper()
	var seen []captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, captured{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(b)})
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestClientHeaders(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		wantAuth string
	}{
		{"no key", "", ""},
		{"key", "sk-secret", "Bearer sk-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := newServer(t, 200, `{}`)
			c := NewClient(srv.URL+"/v1/", WithAPIKey(tt.key))
			if _, err := c.PostJSON(context.Background(), "/x", map[string]int{"a": 1}, nil); err != nil {
				t.Fatalf("PostJSON() = %v, want nil", err)
			}
			if _, err := c.Do(context.Background(), http.MethodGet, "/y", nil); err != nil {
				t.Fatalf("Do(GET) = %v, want nil", err)
			}
			if len(*seen) != 2 {
				t.Fatalf("server saw %d requests, want 2", len(*seen))
			}
			for _, r := range *seen {
				if got := r.header.Get("Content-Type"); got != "application/json" {
					t.Errorf("%s %s Content-Type = %q, want application/json", r.method, r.path, got)
				}
				if got := r.header.Get("Authorization"); got != tt.wantAuth {
					t.Errorf("%s %s Authorization = %q, want %q", r.method, r.path, got, tt.wantAuth)
				}
				if _, present := r.header["Authorization"]; present != (tt.key != "") {
					t.Errorf("%s %s Authorization present = %v, want %v", r.method, r.path, present, tt.key != "")
				}
			}
			if (*seen)[0].path != "/v1/x" || (*seen)[0].body != `{"a":1}` {
				t.Errorf("POST went to %s with %s, want /v1/x with {\"a\":1}", (*seen)[0].path, (*seen)[0].body)
			}
		})
	}
}

func TestClientNeverShowsKey(t *testing.T) {
	const key = "sk-very-secret"
	srv, _ := newServer(t, 401, `{"error":"Unauthorized"}`)
	c := NewClient(srv.URL, WithAPIKey(key))
	_, err := c.GetJSON(context.Background(), "/v1/models", &ModelList{})
	if !errors.Is(err, sdk.ErrUnauthorized) {
		t.Fatalf("GetJSON() = %v, want ErrUnauthorized", err)
	}
	for _, s := range []string{err.Error(), c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		if strings.Contains(s, key) {
			t.Errorf("%q shows the key", s)
		}
	}
	if !strings.Contains(err.Error(), "authentication") {
		t.Errorf("GetJSON() error = %q, want it to mention authentication", err)
	}
	c2 := NewClient("http://user:pass@127.0.0.1:1/v1")
	if strings.Contains(c2.BaseURL(), "pass") {
		t.Errorf("BaseURL() = %q, want the password redacted", c2.BaseURL())
	}
}

func TestClientQueryKey(t *testing.T) {
	const key = "SECRET-in-query"
	srv, seen := newServer(t, 401, `{"error":"Unauthorized"}`)
	c := NewClient(srv.URL + "/openai/deployments/d/?api-version=1&api-key=" + key)
	_, err := c.GetJSON(context.Background(), "/models", &ModelList{})
	if !errors.Is(err, sdk.ErrUnauthorized) {
		t.Fatalf("GetJSON() = %v, want ErrUnauthorized", err)
	}
	if len(*seen) != 1 || (*seen)[0].path != "/openai/deployments/d/models" || (*seen)[0].query != "api-version=1&api-key="+key {
		t.Fatalf("server saw %+v, want GET /openai/deployments/d/models?api-version=1&api-key=%s", *seen, key)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("GetJSON() = %v, want an *APIError", err)
	}
	for _, s := range []string{err.Error(), apiErr.URL, c.BaseURL(), c.String(), fmt.Sprintf("%+v", c)} {
		if strings.Contains(s, key) || strings.Contains(s, "api-key") {
			t.Errorf("%q shows the query's key", s)
		}
	}
	if _, err := c.Do(context.Background(), http.MethodGet, "/x?y=1", nil); err == nil {
		t.Fatal("Do() = nil, want the 401")
	}
	if got := (*seen)[1].query; got != "y=1&api-version=1&api-key="+key {
		t.Errorf("server saw query %q, want the path's then the base's", got)
	}
}

func TestClientErrors(t *testing.T) {
	refused := func(t *testing.T) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}
	slow := func(t *testing.T) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	fixed := func(status int, body string) func(t *testing.T) string {
		return func(t *testing.T) string {
			srv, _ := newServer(t, status, body)
			return srv.URL
		}
	}
	tests := []struct {
		name    string
		base    func(t *testing.T) string
		timeout time.Duration
		want    []error
		notWant []error
	}{
		{"refused", refused, time.Second, []error{sdk.ErrUnavailable}, nil},
		{"timeout", slow, 50 * time.Millisecond, []error{sdk.ErrUnavailable, context.DeadlineExceeded}, nil},
		{"500", fixed(500, `{"error":{"message":"boom","type":"InternalServerError","code":500}}`), time.Second, []error{sdk.ErrBadResponse}, nil},
		{"bad json", fixed(200, `{"object":"list","data":[`), time.Second, []error{sdk.ErrBadResponse}, []error{sdk.ErrUnavailable}},
		{"503", fixed(503, ``), time.Second, []error{sdk.ErrUnavailable}, nil},
		{"404", fixed(404, `{"error":"model 'x' not found"}`), time.Second, []error{sdk.ErrModelNotFound}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			start := time.Now()
			_, _, err := NewClient(tt.base(t)).Models(ctx)
			if time.Since(start) > 5*time.Second {
				t.Errorf("Models() took %v, want it to give up promptly", time.Since(start))
			}
			for _, w := range tt.want {
				if !errors.Is(err, w) {
					t.Errorf("Models() = %v, want it to wrap %v", err, w)
				}
			}
			for _, w := range tt.notWant {
				if errors.Is(err, w) {
					t.Errorf("Models() = %v, want it not to wrap %v", err, w)
				}
			}
		})
	}
}

func TestClientCancelled(t *testing.T) {
	srv, _ := newServer(t, 200, `{}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewClient(srv.URL).Do(ctx, http.MethodGet, "/", nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("Do(cancelled) = %v, want context.Canceled and not ErrUnavailable", err)
	}
}

func TestClientMaxBody(t *testing.T) {
	srv, _ := newServer(t, 200, strings.Repeat("x", 100))
	_, err := NewClient(srv.URL, WithMaxBody(10)).Do(context.Background(), http.MethodGet, "/", nil)
	if !errors.Is(err, sdk.ErrBadResponse) {
		t.Errorf("Do(100-byte body, limit 10) = %v, want ErrBadResponse", err)
	}
}

func TestClientUserAgent(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []Option
		want string
	}{
		{"default", nil, "imageworks-loader"},
		{"WithUserAgent", []Option{WithUserAgent("my-backend/1.2")}, "my-backend/1.2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := newServer(t, 200, `{}`)
			if _, err := NewClient(srv.URL, tt.opts...).Do(context.Background(), http.MethodGet, "/", nil); err != nil {
				t.Fatal(err)
			}
			if got := (*seen)[0].header.Get("User-Agent"); got != tt.want {
				t.Errorf("User-Agent = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientLatency(t *testing.T) {
	srv, _ := newServer(t, 200, `{}`)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	clock := func() time.Time { calls++; return t0.Add(time.Duration(calls) * 250 * time.Millisecond) }
	r, err := NewClient(srv.URL, WithClock(clock)).Do(context.Background(), http.MethodGet, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Latency != 250*time.Millisecond {
		t.Errorf("Do() latency = %v, want 250ms (one clock step)", r.Latency)
	}
}

func TestChatCompletion(t *testing.T) {
	srv, seen := newServer(t, 200, `{"id":"chatcmpl-1","object":"chat.completion","model":"qwen-alias",
		"choices":[{"index":0,"message":{"role":"assistant","content":"A red square.","reasoning_content":null},"finish_reason":"stop"}],
		"usage":{"prompt_tokens":85,"completion_tokens":5,"total_tokens":90}}`)
	req := NewImageChat("qwen-vl", "What colour?", "image/png", []byte("\x89PNG"))
	out, r, err := NewClient(srv.URL+"/v1").ChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatalf("ChatCompletion() = %v", err)
	}
	if out.Text() != "A red square." || out.Model != "qwen-alias" || r.StatusCode != 200 || out.Usage.TotalTokens != 90 {
		t.Errorf("ChatCompletion() = %+v, %d, want the red square from qwen-alias", out, r.StatusCode)
	}
	got := (*seen)[0]
	if got.path != "/v1/chat/completions" {
		t.Errorf("path = %q, want /v1/chat/completions", got.path)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(got.body), &body); err != nil {
		t.Fatal(err)
	}
	want := `{"max_tokens":256,"messages":[{"content":[{"text":"What colour?","type":"text"},{"image_url":{"url":"data:image/png;base64,iVBORw=="},"type":"image_url"}],"role":"user"}],"model":"qwen-vl","stream":false,"temperature":0}`
	b, _ := json.Marshal(body)
	if string(b) != want {
		t.Errorf("request body = %s, want %s", b, want)
	}
	if (ChatResponse{}).Text() != "" {
		t.Errorf("ChatResponse{}.Text() = %q, want empty", (ChatResponse{}).Text())
	}
}

// TestUnparsableBaseURLKeepsSecrets: a base URL with a typo must not put
// its query key or password into errors or BaseURL.
func TestUnparsableBaseURLKeepsSecrets(t *testing.T) {
	for _, base := range []string{
		"http://h:bad port/v1?api-key=SECRET",
		"http://user:SECRET@h:bad port/v1",
	} {
		c := NewClient(base)
		if strings.Contains(c.BaseURL(), "SECRET") {
			t.Errorf("NewClient(%q).BaseURL() = %q, shows the secret", base, c.BaseURL())
		}
		var out map[string]any
		_, err := c.GetJSON(context.Background(), "/models", &out)
		if err == nil || strings.Contains(err.Error(), "SECRET") || !errors.Is(err, sdk.ErrBadRequest) {
			t.Errorf("GetJSON with base %q = %v, want ErrBadRequest without the secret", base, err)
		}
	}
}

// A server that echoes the Authorization header or the query's key in its
// error never gets either into the error text.
func TestClientScrubsEchoedKey(t *testing.T) {
	const key, qkey = "sk-echoed-123", "QK-echoed-456"
	for _, body := range []string{
		`{"error":{"message":"bad header Authorization: Bearer sk-echoed-123"}}`,
		`not json: Bearer sk-echoed-123 and api-key=QK-echoed-456`,
	} {
		srv, _ := newServer(t, 401, body)
		c := NewClient(srv.URL+"/v1?api-key="+qkey, WithAPIKey(key))
		_, err := c.GetJSON(context.Background(), "/models", &ModelList{})
		if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), qkey) {
			t.Errorf("GetJSON() with a server echoing %q = %v, want an error without either key", body, err)
		}
		srv2, _ := newServer(t, 200, "{"+body)
		c2 := NewClient(srv2.URL+"/v1?api-key="+qkey, WithAPIKey(key))
		_, err = c2.GetJSON(context.Background(), "/models", &ModelList{})
		if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), qkey) {
			t.Errorf("GetJSON() with an undecodable answer echoing %q = %v, want an error without either key", body, err)
		}
	}
}
