package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/sdk"
)

// manifest is an Ollama model manifest (OCI image manifest shape).
type manifest struct {
	Config *layer  `json:"config"`
	Layers []layer `json:"layers"`
}

type layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

var digestRE = regexp.MustCompile(`^sha256[:-]([0-9a-f]{64})$`)

// findFold returns dir/parts..., matching each part case-insensitively
// when the exact name does not exist (Ollama compares names without case).
// When nothing matches it returns the exact path.
func findFold(dir string, parts ...string) string {
	exact := filepath.Join(append([]string{dir}, parts...)...)
	if _, err := os.Stat(exact); err == nil {
		return exact
	}
	cur := dir
	for _, p := range parts {
		next := ""
		if _, err := os.Stat(filepath.Join(cur, p)); err == nil {
			next = filepath.Join(cur, p)
		} else if ents, err := os.ReadDir(cur); err == nil {
			for _, e := range ents {
				if strings.EqualFold(e.Name(), p) {
					next = filepath.Join(cur, e.Name())
					break
				}
			}
		}
		if next == "" {
			return exact
		}
		cur = next
	}
	return cur
}

// ModelsDir returns the model store of entries that name none: $OLLAMA_MODELS
// (spaces and quotes trimmed, as Ollama does), else ~/.ollama/models. It
// fails when neither can be found.
func (b *Backend) ModelsDir() (string, error) {
	if d := b.envVar(EnvModels); d != "" {
		return filepath.Abs(d)
	}
	home, err := b.homeDir()
	if err != nil {
		return "", fmt.Errorf("finding the model store (OLLAMA_MODELS unset): %w", err)
	}
	return filepath.Join(home, ".ollama", "models"), nil
}

// Artifacts maps an entry to its local Ollama files. The model is the
// entry's "ollama:" model_path (ollama:/name:tag, ollama:name:tag,
// namespace/model:tag; the tag defaults to latest), else its
// served_model_id, else its name. The store is the entry's
// backend_config.ollama_models (an absolute path or ~/...), else
// OLLAMA_MODELS, else ~/.ollama/models. Its manifest is
// {store}/manifests/{host}/{namespace}/{model}/{tag} (matched without case
// when the exact path is missing); the result's Root is
// {store}/blobs and its Files are the config and layer blobs
// "sha256-<hex>", sorted, each with SHA256 set to its digest so the host can
// report a corrupt blob. Blobs are listed whether or not they exist.
//
// Errors: a name that is not an Ollama model wraps sdk.ErrBadRequest; a
// missing manifest wraps sdk.ErrModelNotFound and names the model, the
// path, which of the three gave the store and how to change it; a bad
// ollama_models wraps sdk.ErrBadRequest; an unreadable or malformed manifest names the path.
func (b *Backend) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	if err := ctx.Err(); err != nil {
		return sdk.ArtifactSet{}, err
	}
	name := req.Entry.Config.ModelPath
	if _, ok := cutScheme(strings.TrimSpace(name)); !ok {
		name = req.Entry.ServedModelID
		if strings.TrimSpace(name) == "" {
			name = req.Entry.Name
		}
	}
	ref, err := ParseRef(name)
	if err != nil {
		return sdk.ArtifactSet{}, err
	}
	st, err := b.storeFor(req.Entry)
	if err != nil {
		return sdk.ArtifactSet{}, err
	}
	path := findFold(filepath.Join(st.dir, "manifests"), ref.Host, ref.Namespace, ref.Model, ref.Tag)
	data, _, err := safefile.ReadFile(path) // a FIFO there is refused, not waited on
	if errors.Is(err, fs.ErrNotExist) {
		return sdk.ArtifactSet{}, fmt.Errorf("model %s is not in the local store %s (%s): no manifest %s: %w", ref, st.dir, st.how(), path, sdk.ErrModelNotFound)
	}
	if err != nil {
		return sdk.ArtifactSet{}, fmt.Errorf("reading manifest of %s: %w", ref, err)
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return sdk.ArtifactSet{}, fmt.Errorf("manifest %s of %s: %w", path, ref, err)
	}
	layers := m.Layers
	if m.Config != nil && m.Config.Digest != "" {
		layers = append([]layer{*m.Config}, layers...)
	}
	if len(layers) == 0 {
		return sdk.ArtifactSet{}, fmt.Errorf("manifest %s of %s lists no blobs", path, ref)
	}
	set := sdk.ArtifactSet{Root: filepath.Join(st.dir, "blobs")}
	seen := map[string]bool{}
	for _, l := range layers {
		sm := digestRE.FindStringSubmatch(l.Digest)
		if sm == nil {
			return sdk.ArtifactSet{}, fmt.Errorf("manifest %s of %s: digest %q is not sha256:<64 hex>", path, ref, l.Digest)
		}
		if seen[sm[1]] {
			continue
		}
		seen[sm[1]] = true
		set.Files = append(set.Files, sdk.ArtifactFile{Path: "sha256-" + sm[1], SHA256: sm[1]})
	}
	slices.SortFunc(set.Files, func(a, b sdk.ArtifactFile) int { return strings.Compare(a.Path, b.Path) })
	return set, nil
}
