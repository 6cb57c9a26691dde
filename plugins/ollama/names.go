package ollama

import (
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// DefaultRegistry is the registry host of names without one.
const DefaultRegistry = "registry.ollama.ai"

// Ref is a parsed Ollama model name [host/][namespace/]model[:tag].
type Ref struct {
	Host      string // default DefaultRegistry
	Namespace string // default "library"
	Model     string // the model's name, never empty
	Tag       string // default "latest"
}

// String returns the name as Ollama shows it: the model with its tag,
// prefixed by the namespace when not "library" and the host when not the
// default.
func (r Ref) String() string {
	s := r.Model + ":" + r.Tag
	if r.Namespace != "library" || r.Host != DefaultRegistry {
		s = r.Namespace + "/" + s
	}
	if r.Host != DefaultRegistry {
		s = r.Host + "/" + s
	}
	return s
}

// ParseRef parses an Ollama model name: "llava", "llava:7b",
// "namespace/model:tag" or "host/namespace/model:tag", with or without an
// "ollama:" scheme (ollama:/name:tag, ollama://name:tag). It fails with an
// error wrapping sdk.ErrBadRequest for an empty or malformed name (and the
// legacy placeholder "None").
func ParseRef(name string) (Ref, error) {
	s := strings.TrimSpace(name)
	if rest, ok := cutScheme(s); ok {
		s = rest
	}
	s = strings.TrimLeft(s, "/")
	if s == "" || s == "None" || strings.Contains(s, "@") {
		return Ref{}, fmt.Errorf("ollama model name %q: %w", name, sdk.ErrBadRequest)
	}
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return Ref{}, fmt.Errorf("ollama model name %q: %w", name, sdk.ErrBadRequest)
		}
	}
	r := Ref{Host: DefaultRegistry, Namespace: "library", Tag: "latest"}
	last := parts[len(parts)-1]
	if m, t, ok := strings.Cut(last, ":"); ok {
		if m == "" || t == "" || strings.Contains(t, ":") {
			return Ref{}, fmt.Errorf("ollama model name %q: %w", name, sdk.ErrBadRequest)
		}
		r.Model, r.Tag = m, t
	} else {
		r.Model = last
	}
	switch len(parts) {
	case 1:
	case 2:
		r.Namespace = parts[0]
	case 3:
		r.Host, r.Namespace = parts[0], parts[1]
	default:
		return Ref{}, fmt.Errorf("ollama model name %q has too many parts: %w", name, sdk.ErrBadRequest)
	}
	return r, nil
}

func cutScheme(s string) (string, bool) {
	if len(s) >= len("ollama:") && strings.EqualFold(s[:len("ollama:")], "ollama:") {
		return s[len("ollama:"):], true
	}
	return s, false
}

// modelPathRef returns the name:tag of an "ollama:" model_path.
func modelPathRef(modelPath string) (string, bool) {
	if _, ok := cutScheme(strings.TrimSpace(modelPath)); !ok {
		return "", false
	}
	r, err := ParseRef(modelPath)
	if err != nil {
		return "", false
	}
	return r.String(), true
}

// canon makes model names comparable the way Ollama does: case-insensitive,
// ":latest" when no tag is given, and the default host and namespace
// implied.
func canon(name string) string {
	r, err := ParseRef(name)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(name))
	}
	return strings.ToLower(r.String())
}

// servedID returns the id a listed model is imported as, the canonical
// name with its tag, and its aliases: the untagged name when the tag is
// "latest". A name that does not parse is its own id.
func servedID(name string) (string, []string) {
	r, err := ParseRef(name)
	if err != nil {
		return name, nil
	}
	id := r.String()
	if r.Tag != "latest" {
		return id, nil
	}
	return id, []string{strings.TrimSuffix(id, ":latest")}
}
