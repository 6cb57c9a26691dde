package sdk_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/sdk"
)

const key = "sk-live-0123456789"

func TestSecretFormats(t *testing.T) {
	s := sdk.Secret(key)
	if got := s.Reveal(); got != key {
		t.Errorf("Reveal() = %q, want %q", got, key)
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"}
	for _, verb := range verbs {
		got := fmt.Sprintf(verb, s)
		if strings.Contains(got, key) || strings.Contains(got, fmt.Sprintf("%x", key)) || strings.Contains(got, fmt.Sprintf("%X", key)) {
			t.Errorf("Sprintf(%q, secret) = %q, shows the key", verb, got)
		}
		if !strings.Contains(got, "[redacted]") {
			t.Errorf("Sprintf(%q, secret) = %q, want [redacted]", verb, got)
		}
	}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"String", s.String(), "[redacted]"},
		{"GoString", s.GoString(), `"[redacted]"`},
		{"empty String", sdk.Secret("").String(), ""},
		{"empty %v", fmt.Sprintf("%v", sdk.Secret("")), ""},
		{"empty %q", fmt.Sprintf("%q", sdk.Secret("")), `""`},
		{"Sprint", fmt.Sprint(s), "[redacted]"},
		{"Sprintln", fmt.Sprintln(s), "[redacted]\n"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestSecretInRequests(t *testing.T) {
	s := sdk.Secret(key)
	reqs := []any{
		sdk.ResolveRequest{Entry: sdk.Entry{Name: "m"}, APIKey: s},
		sdk.HealthRequest{Endpoint: "http://h:1/v1", APIKey: s},
		sdk.ListModelsRequest{Endpoint: "http://h:1/v1", APIKey: s},
		&sdk.ProbeRequest{ModelID: "m", APIKey: s},
	}
	for _, req := range reqs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			if got := fmt.Sprintf(verb, req); strings.Contains(got, key) {
				t.Errorf("Sprintf(%q, %T) = %q, shows the key", verb, req, got)
			}
		}
		b, err := json.Marshal(req)
		if err != nil || bytes.Contains(b, []byte(key)) || !bytes.Contains(b, []byte(`"APIKey":"[redacted]"`)) {
			t.Errorf("json.Marshal(%T) = %s, %v, want the key redacted", req, b, err)
		}
	}
	b, err := json.Marshal(sdk.HealthRequest{})
	if err != nil || !bytes.Contains(b, []byte(`"APIKey":""`)) {
		t.Errorf("json.Marshal(no key) = %s, %v, want an empty APIKey", b, err)
	}
}

func TestSecretLogs(t *testing.T) {
	s := sdk.Secret(key)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("call", "key", s, "req", sdk.HealthRequest{APIKey: s})
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("call", "key", s, "req", sdk.HealthRequest{APIKey: s})
	for _, jsonFormat := range []bool{false, true} {
		hclog.New(&hclog.LoggerOptions{Output: &buf, JSONFormat: jsonFormat}).Info("call", "key", s, "req", sdk.HealthRequest{APIKey: s})
	}
	out := buf.String()
	if strings.Contains(out, key) {
		t.Errorf("logs show the key:\n%s", out)
	}
	if n := strings.Count(out, "[redacted]"); n < 8 {
		t.Errorf("logs hold %d [redacted], want 8 (two per logger):\n%s", n, out)
	}
}
