// Package ollamastore writes a small Ollama model store (manifests and
// content-addressed blobs, the layout Ollama keeps under OLLAMA_MODELS) for
// tests of blob verification.
package ollamastore

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Layer is one blob of a model.
type Layer struct {
	MediaType string
	Data      []byte
}

// DefaultLayers are a model's blobs: weights, template and params.
func DefaultLayers() []Layer {
	return []Layer{
		{MediaType: "application/vnd.ollama.image.model", Data: []byte(strings.Repeat("GGUF weights ", 4096))},
		{MediaType: "application/vnd.ollama.image.template", Data: []byte("{{ .Prompt }}")},
		{MediaType: "application/vnd.ollama.image.params", Data: []byte(`{"temperature":0.2}`)},
	}
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

type manifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

// Write stores model ([namespace/]name:tag, namespace "library" when
// omitted) with layers in the store rooted at dir, and returns the paths of
// its blobs, config first.
func Write(dir, model string, layers []Layer) ([]string, error) {
	name, tag, ok := strings.Cut(model, ":")
	if !ok {
		tag = "latest"
	}
	ns, base, ok := strings.Cut(name, "/")
	if !ok {
		ns, base = "library", name
	}
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	put := func(mt string, data []byte) (descriptor, error) {
		sum := sha256.Sum256(data)
		hexsum := hex.EncodeToString(sum[:])
		p := filepath.Join(blobs, "sha256-"+hexsum)
		paths = append(paths, p)
		return descriptor{MediaType: mt, Digest: "sha256:" + hexsum, Size: len(data)}, os.WriteFile(p, data, 0o644)
	}
	cfg, err := put("application/vnd.docker.container.image.v1+json", []byte(fmt.Sprintf(`{"model_format":"gguf","model":%q}`, model)))
	if err != nil {
		return nil, err
	}
	m := manifest{SchemaVersion: 2, MediaType: "application/vnd.docker.distribution.manifest.v2+json", Config: cfg}
	for _, l := range layers {
		d, err := put(l.MediaType, l.Data)
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, d)
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	mdir := filepath.Join(dir, "manifests", "registry.ollama.ai", ns, base)
	if err := os.MkdirAll(mdir, 0o755); err != nil {
		return nil, err
	}
	return paths, os.WriteFile(filepath.Join(mdir, tag), data, 0o644)
}
