package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
)

// TestHostURL holds the cases of Ollama's own envconfig TestHost (0.17.4),
// with the one difference documented on HostURL: a missing or bind-all host
// is the loopback.
func TestHostURL(t *testing.T) {
	tests := []struct {
		value, want string
		warns       bool
	}{
		{"", "http://127.0.0.1:11434", false},
		{"1.2.3.4", "http://1.2.3.4:11434", false},
		{":1234", "http://127.0.0.1:1234", false},
		{"1.2.3.4:1234", "http://1.2.3.4:1234", false},
		{"example.com", "http://example.com:11434", false},
		{"example.com:1234", "http://example.com:1234", false},
		{":0", "http://127.0.0.1:0", false},
		{":66000", "http://127.0.0.1:11434", true},
		{":-1", "http://127.0.0.1:11434", true},
		{"[::1]", "http://[::1]:11434", false},
		{"[::]", "http://[::1]:11434", false},
		{"::1", "http://[::1]:11434", false},
		{"[::1]:1337", "http://[::1]:1337", false},
		{"0.0.0.0", "http://127.0.0.1:11434", false},
		{"0.0.0.0:8080", "http://127.0.0.1:8080", false},
		{" 1.2.3.4 ", "http://1.2.3.4:11434", false},
		{"\"1.2.3.4\"", "http://1.2.3.4:11434", false},
		{" \" 1.2.3.4 \" ", "http://1.2.3.4:11434", false},
		{"'1.2.3.4'", "http://1.2.3.4:11434", false},
		{"http://1.2.3.4", "http://1.2.3.4:80", false},
		{"http://1.2.3.4:4321", "http://1.2.3.4:4321", false},
		{"https://1.2.3.4", "https://1.2.3.4:443", false},
		{"https://1.2.3.4:4321", "https://1.2.3.4:4321", false},
		{"https://example.com/ollama", "https://example.com:443/ollama", false},
		{"ollama.com", "https://ollama.com:443", false},
	}
	for _, tt := range tests {
		u, warning := HostURL(tt.value)
		if u.String() != tt.want || (warning != "") != tt.warns {
			t.Errorf("HostURL(%q) = %s, %q, want %s (warning %v)", tt.value, u, warning, tt.want, tt.warns)
		}
	}
}

func TestResolveOllamaHost(t *testing.T) {
	tests := []struct {
		name, host string
		entry      sdk.Entry
		endpoint   string
		fromEnv    bool
	}{
		{"host:port", "127.0.0.1:12345", sdk.Entry{Name: "m"}, "http://127.0.0.1:12345/v1", true},
		{":port", ":12345", sdk.Entry{Name: "m"}, "http://127.0.0.1:12345/v1", true},
		{"host", "gpu-box", sdk.Entry{Name: "m"}, "http://gpu-box:11434/v1", true},
		{"scheme://host:port", "https://gpu-box:8443", sdk.Entry{Name: "m"}, "https://gpu-box:8443/v1", true},
		{"proxy path", "https://gpu-box/ollama/", sdk.Entry{Name: "m"}, "https://gpu-box:443/ollama/v1", true},
		{"unset", "", sdk.Entry{Name: "m"}, "http://localhost:11434/v1", false},
		{"entry's port wins", "gpu-box:1", sdk.Entry{Name: "m", Config: sdk.BackendConfig{Port: 11500}}, "http://localhost:11500/v1", false},
		{"entry's host wins", "gpu-box:1", sdk.Entry{Name: "m", Config: sdk.BackendConfig{Host: "other"}}, "http://other:11434/v1", false},
		{"entry's base_url wins", "gpu-box:1", sdk.Entry{Name: "m", Config: sdk.BackendConfig{BaseURL: "http://x:1/v1"}}, "http://x:1/v1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(WithGetenv(env(map[string]string{EnvHost: tt.host})))
			r, err := b.Resolve(context.Background(), sdk.ResolveRequest{Entry: tt.entry})
			noted := slices.ContainsFunc(r.Notes, func(n string) bool { return strings.Contains(n, "OLLAMA_HOST") })
			if err != nil || r.Endpoint != tt.endpoint || noted != tt.fromEnv {
				t.Errorf("Resolve(%+v) with OLLAMA_HOST=%q = %s %q, %v, want %s (noted %v)", tt.entry, tt.host, r.Endpoint, r.Notes, err, tt.endpoint, tt.fromEnv)
			}
			if n := len(slices.DeleteFunc(slices.Clone(r.Notes), func(n string) bool { return !strings.HasPrefix(n, "endpoint from") })); n != 1 {
				t.Errorf("Resolve notes %q say %d times where the endpoint came from, want once", r.Notes, n)
			}
		})
	}
	// The live check and the probe go to OLLAMA_HOST too.
	s := newOllama(t, standin.Config{})
	b := New(WithGetenv(env(map[string]string{EnvHost: strings.TrimPrefix(s.URL, "http://")})))
	r, err := b.Resolve(context.Background(), sdk.ResolveRequest{Entry: sdk.Entry{Name: "llava"}, Live: true})
	if err != nil || r.Live == nil || !r.Live.Up || !r.Live.Models[0].Served {
		t.Errorf("Resolve(live, OLLAMA_HOST=stand-in) = %+v, %v, want llava up and served", r, err)
	}
	p, err := b.ProbeVision(context.Background(), sdk.ProbeRequest{Entry: sdk.Entry{Name: "llava"}, ModelID: "llava", Image: red, Expect: []string{"red"}})
	if err != nil || !p.VisionOK {
		t.Errorf("ProbeVision(no endpoint, OLLAMA_HOST=stand-in) = %+v, %v, want vision_ok", p, err)
	}
}

func TestArtifactsStoreSources(t *testing.T) {
	envDir, _ := store(t, "registry.ollama.ai/library/llava/latest", "c", "w")
	entryDir, _ := store(t, "registry.ollama.ai/library/llava/latest", "c2", "w2")
	home := t.TempDir()
	raw := func(v any) json.RawMessage {
		b, err := json.Marshal(map[string]any{"name": "llava", "backend_config": map[string]any{"ollama_models": v}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name   string
		env    map[string]string
		raw    json.RawMessage
		root   string   // "" means an error
		errHas []string // what the error must say
		errIs  error
	}{
		{"entry's field wins", map[string]string{EnvModels: envDir}, raw(entryDir), filepath.Join(entryDir, "blobs"), nil, nil},
		{"OLLAMA_MODELS", map[string]string{EnvModels: envDir}, nil, filepath.Join(envDir, "blobs"), nil, nil},
		{"OLLAMA_MODELS quoted", map[string]string{EnvModels: `"` + envDir + `"`}, nil, filepath.Join(envDir, "blobs"), nil, nil},
		{"null field", map[string]string{EnvModels: envDir}, raw(nil), filepath.Join(envDir, "blobs"), nil, nil},
		{"missing from the entry's store", nil, raw(home), "",
			[]string{home, "backend_config.ollama_models", "change that field"}, sdk.ErrModelNotFound},
		{"missing from OLLAMA_MODELS", map[string]string{EnvModels: home}, nil, "",
			[]string{home, "named by OLLAMA_MODELS", "backend_config.ollama_models"}, sdk.ErrModelNotFound},
		{"missing from the default", nil, nil, "",
			[]string{filepath.Join(home, ".ollama", "models"), "default store", "OLLAMA_MODELS is unset", "backend_config.ollama_models"}, sdk.ErrModelNotFound},
		{"relative field", nil, raw("models"), "", []string{`"models"`, "absolute"}, sdk.ErrBadRequest},
		{"not a string", nil, raw(3), "", []string{"ollama_models", "string"}, sdk.ErrBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(WithGetenv(env(tt.env)), WithHomeDir(func() (string, error) { return home, nil }))
			got, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "llava", Raw: tt.raw}})
			if tt.root != "" {
				if err != nil || got.Root != tt.root {
					t.Errorf("Artifacts = %+v, %v, want root %s", got, err, tt.root)
				}
				return
			}
			if !errors.Is(err, tt.errIs) {
				t.Fatalf("Artifacts = %+v, %v, want an error wrapping %v", got, err, tt.errIs)
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Artifacts error %q does not say %q", err, s)
				}
			}
		})
	}
	// "~/" is the home directory.
	if err := os.MkdirAll(filepath.Join(home, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(entryDir, filepath.Join(home, "srv", "models")); err != nil {
		t.Fatal(err)
	}
	b := New(WithGetenv(env(nil)), WithHomeDir(func() (string, error) { return home, nil }))
	got, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "llava", Raw: raw("~/srv/models")}})
	if want := filepath.Join(home, "srv", "models", "blobs"); err != nil || got.Root != want {
		t.Errorf("Artifacts(~/srv/models) = %+v, %v, want root %s", got, err, want)
	}
}
