package openai

import (
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestEndpoint(t *testing.T) {
	tests := []struct {
		name        string
		cfg         sdk.BackendConfig
		defaultPort int
		want        string
	}{
		{"vllm port no host", sdk.BackendConfig{Port: 24001}, 8000, "http://localhost:24001/v1"},
		{"base_url trimmed", sdk.BackendConfig{BaseURL: " https://gpu.example/v1/ ", Host: "ignored", Port: 1}, 8000, "https://gpu.example/v1"},
		{"base_url many slashes", sdk.BackendConfig{BaseURL: "https://gpu.example/v1//"}, 8000, "https://gpu.example/v1"},
		{"host URL as is", sdk.BackendConfig{Host: "http://h.example:9/", Port: 1234}, 8000, "http://h.example:9"},
		{"host https URL", sdk.BackendConfig{Host: " HTTPS://h.example/api/ "}, 8000, "HTTPS://h.example/api"},
		{"lmdeploy port 0", sdk.BackendConfig{Port: 0}, 23333, "http://localhost:23333/v1"},
		{"ollama host and port", sdk.BackendConfig{Host: "imageworks-ollama", Port: 11434}, 11434, "http://imageworks-ollama:11434/v1"},
		{"negative port is default", sdk.BackendConfig{Port: -1}, 8000, "http://localhost:8000/v1"},
		{"blank base_url ignored", sdk.BackendConfig{BaseURL: "  ", Host: "gpu"}, 8000, "http://gpu:8000/v1"},
		{"ipv6 host bracketed", sdk.BackendConfig{Host: "::1", Port: 9}, 8000, "http://[::1]:9/v1"},
		{"ipv4 host", sdk.BackendConfig{Host: "10.0.0.2"}, 8000, "http://10.0.0.2:8000/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Endpoint(tt.cfg, tt.defaultPort); got != tt.want {
				t.Errorf("Endpoint(%+v, %d) = %q, want %q", tt.cfg, tt.defaultPort, got, tt.want)
			}
		})
	}
}

func TestModelID(t *testing.T) {
	tests := []struct {
		entry sdk.Entry
		want  string
	}{
		{sdk.Entry{Name: "qwen-vl", ServedModelID: "qwen2.5vl:7b"}, "qwen2.5vl:7b"},
		{sdk.Entry{Name: "qwen-vl"}, "qwen-vl"},
		{sdk.Entry{Name: "qwen-vl", ServedModelID: "  "}, "qwen-vl"},
	}
	for _, tt := range tests {
		if got := ModelID(tt.entry); got != tt.want {
			t.Errorf("ModelID(%+v) = %q, want %q", tt.entry, got, tt.want)
		}
	}
}

func TestServerRoot(t *testing.T) {
	tests := map[string]string{
		"http://h:8000/v1":        "http://h:8000",
		"http://h:8000/v1/":       "http://h:8000",
		"http://h:8000":           "http://h:8000",
		"https://gpu.example/V1":  "https://gpu.example",
		"https://gpu.example/api": "https://gpu.example/api",
		"http://h/v1x":            "http://h/v1x",
	}
	for in, want := range tests {
		if got := ServerRoot(in); got != want {
			t.Errorf("ServerRoot(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name      string
		entry     sdk.Entry
		endpoint  string
		id        string
		wantNotes int
	}{
		{"defaults", sdk.Entry{Name: "m"}, "http://localhost:8000/v1", "m", 2},
		{"base url", sdk.Entry{Name: "m", ServedModelID: "s", Config: sdk.BackendConfig{BaseURL: "http://x/v1/"}}, "http://x/v1", "s", 1},
		{"host url", sdk.Entry{Name: "m", ServedModelID: "s", Config: sdk.BackendConfig{Host: "http://x:1/"}}, "http://x:1", "s", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(tt.entry, 8000)
			if r.Endpoint != tt.endpoint || r.InternalModelID != tt.id || len(r.Notes) != tt.wantNotes || r.Live != nil {
				t.Errorf("Resolve(%+v, 8000) = %+v, want endpoint %q, id %q, %d notes", tt.entry, r, tt.endpoint, tt.id, tt.wantNotes)
			}
		})
	}
}
