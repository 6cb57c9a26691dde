package ollama

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
		str  string
	}{
		{"llava", Ref{DefaultRegistry, "library", "llava", "latest"}, "llava:latest"},
		{"ollama:/qwen2.5vl:7b", Ref{DefaultRegistry, "library", "qwen2.5vl", "7b"}, "qwen2.5vl:7b"},
		{"ollama:qwen2.5vl:7b", Ref{DefaultRegistry, "library", "qwen2.5vl", "7b"}, "qwen2.5vl:7b"},
		{"ollama://qwen2.5vl:7b", Ref{DefaultRegistry, "library", "qwen2.5vl", "7b"}, "qwen2.5vl:7b"},
		{"ollama:/huihui_ai/gpt-oss-abliterated:20b", Ref{DefaultRegistry, "huihui_ai", "gpt-oss-abliterated", "20b"}, "huihui_ai/gpt-oss-abliterated:20b"},
		{"hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M", Ref{"hf.co", "bartowski", "Llama-3.2-1B-GGUF", "Q4_K_M"}, "hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M"},
		{" ns/model ", Ref{DefaultRegistry, "ns", "model", "latest"}, "ns/model:latest"},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseRef(%q) = %+v (%s), %v, want %+v (%s)", tt.in, got, got, err, tt.want, tt.str)
		}
	}
	for _, bad := range []string{"", "ollama:/", "ollama://None", "a/b/c/d", "m:", ":t", "a//b", "../x", "m:a:b", "m@sha256:abc"} {
		if _, err := ParseRef(bad); !errors.Is(err, sdk.ErrBadRequest) {
			t.Errorf("ParseRef(%q) = %v, want ErrBadRequest", bad, err)
		}
	}
}

// store writes an Ollama model store with one manifest for ref whose blobs
// hold contents, and returns the store and the blobs' digests (config
// first).
func store(t *testing.T, manifestPath string, contents ...string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var digests []string
	for _, c := range contents {
		sum := sha256.Sum256([]byte(c))
		d := hex.EncodeToString(sum[:])
		digests = append(digests, d)
		blob := filepath.Join(dir, "blobs", "sha256-"+d)
		if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(blob, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var layers []string
	for _, d := range digests[1:] {
		layers = append(layers, fmt.Sprintf(`{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:%s","size":1}`, d))
	}
	m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
	 "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:%s","size":1},
	 "layers":[%s]}`, digests[0], strings.Join(layers, ","))
	p := filepath.Join(dir, "manifests", filepath.FromSlash(manifestPath))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, digests
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestArtifacts(t *testing.T) {
	dir, digests := store(t, "registry.ollama.ai/library/qwen2.5vl/7b", "config", "weights", "template", "weights")
	nsDir, nsDigests := store(t, "registry.ollama.ai/aqualaguna/gemma-3-27b-it-abliterated-GGUF/q3_k_m", "cfg", "gguf")
	latestDir, latestDigests := store(t, "registry.ollama.ai/library/llava/latest", "c", "w")
	files := func(ds ...string) []sdk.ArtifactFile {
		var out []sdk.ArtifactFile
		seen := map[string]bool{}
		for _, d := range ds {
			if !seen[d] {
				seen[d] = true
				out = append(out, sdk.ArtifactFile{Path: "sha256-" + d, SHA256: d})
			}
		}
		for i := range out { // sorted by path
			for j := i + 1; j < len(out); j++ {
				if out[j].Path < out[i].Path {
					out[i], out[j] = out[j], out[i]
				}
			}
		}
		return out
	}
	tests := []struct {
		name  string
		store string
		entry sdk.Entry
		want  []sdk.ArtifactFile
	}{
		{"model_path", dir, sdk.Entry{Name: "qwen", Config: sdk.BackendConfig{ModelPath: "ollama:/qwen2.5vl:7b"}}, files(digests...)},
		{"served id", dir, sdk.Entry{Name: "qwen", ServedModelID: "qwen2.5vl:7b"}, files(digests...)},
		{"namespace, case folded", nsDir, sdk.Entry{Name: "g", Config: sdk.BackendConfig{ModelPath: "ollama:/aqualaguna/gemma-3-27b-it-abliterated-gguf:q3_k_m"}}, files(nsDigests...)},
		{"default tag", latestDir, sdk.Entry{Name: "llava"}, files(latestDigests...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(WithGetenv(env(map[string]string{"OLLAMA_MODELS": tt.store})))
			got, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: tt.entry})
			want := sdk.ArtifactSet{Root: filepath.Join(tt.store, "blobs"), Files: tt.want}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Artifacts(%+v) = %+v, %v, want %+v", tt.entry, got, err, want)
			}
			for _, f := range got.Files { // the digests name the good blobs' content
				data, err := os.ReadFile(filepath.Join(got.Root, f.Path))
				sum := sha256.Sum256(data)
				if err != nil || hex.EncodeToString(sum[:]) != f.SHA256 {
					t.Errorf("blob %s does not hash to its digest", f.Path)
				}
			}
		})
	}
}

func TestArtifactsDefaultStore(t *testing.T) {
	home := t.TempDir()
	dir, digests := store(t, "registry.ollama.ai/library/llava/latest", "c", "w")
	if err := os.MkdirAll(filepath.Join(home, ".ollama"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(dir, filepath.Join(home, ".ollama", "models")); err != nil {
		t.Fatal(err)
	}
	b := New(WithGetenv(env(nil)), WithHomeDir(func() (string, error) { return home, nil }))
	got, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "x", ServedModelID: "llava"}})
	if err != nil || got.Root != filepath.Join(home, ".ollama", "models", "blobs") || len(got.Files) != len(digests) {
		t.Errorf("Artifacts(default store) = %+v, %v, want blobs under ~/.ollama/models", got, err)
	}
	b = New(WithGetenv(env(nil)), WithHomeDir(func() (string, error) { return "", errors.New("no home") }))
	if _, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "llava"}}); err == nil || !strings.Contains(err.Error(), "OLLAMA_MODELS") {
		t.Errorf("Artifacts(no home) = %v, want an error mentioning OLLAMA_MODELS", err)
	}
}

func TestArtifactsErrors(t *testing.T) {
	dir, _ := store(t, "registry.ollama.ai/library/qwen2.5vl/7b", "config", "weights")
	write := func(rel, content string) {
		p := filepath.Join(dir, "manifests", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("registry.ollama.ai/library/broken/latest", `{"layers":[`)
	write("registry.ollama.ai/library/baddigest/latest", `{"layers":[{"digest":"md5:abc"}]}`)
	write("registry.ollama.ai/library/empty/latest", `{"layers":[]}`)
	tests := []struct {
		name     string
		entry    sdk.Entry
		sentinel error
		mentions []string
	}{
		{"missing manifest", sdk.Entry{Name: "x", Config: sdk.BackendConfig{ModelPath: "ollama:/qwen2.5vl:32b"}}, sdk.ErrModelNotFound, []string{"qwen2.5vl:32b", "manifests"}},
		{"none placeholder", sdk.Entry{Name: "x", Config: sdk.BackendConfig{ModelPath: "ollama://None"}}, sdk.ErrBadRequest, []string{"None"}},
		{"broken json", sdk.Entry{Name: "broken"}, nil, []string{"broken:latest", "manifest"}},
		{"bad digest", sdk.Entry{Name: "baddigest"}, nil, []string{"md5:abc"}},
		{"no blobs", sdk.Entry{Name: "empty"}, nil, []string{"no blobs"}},
	}
	b := New(WithGetenv(env(map[string]string{"OLLAMA_MODELS": dir})))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{Entry: tt.entry})
			if err == nil {
				t.Fatalf("Artifacts(%+v) = nil error, want one", tt.entry)
			}
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("Artifacts(%+v) = %v, want %v", tt.entry, err, tt.sentinel)
			}
			for _, m := range tt.mentions {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("Artifacts(%+v) = %q, want it to mention %q", tt.entry, err, m)
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Artifacts(ctx, sdk.ArtifactsRequest{Entry: sdk.Entry{Name: "qwen2.5vl:7b"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Artifacts(cancelled) = %v, want context.Canceled", err)
	}
}
