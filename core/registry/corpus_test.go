package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// The snapshot written on load equals the reference's merged snapshot of the
// corpus entry by entry, sorted by name, in the reference layout.
func TestCorpusSnapshotMatchesReference(t *testing.T) {
	dir := corpusDir(t)
	r := mustOpen(t, dir, registry.Options{})
	got := readFile(t, path(dir, registry.SnapshotFile))
	want := registrytest.ReadCorpusFile(t, registrytest.SnapshotFile)
	gm, wm := decodeByName(t, got), decodeByName(t, want)
	if len(gm) != 16 || len(wm) != 16 {
		t.Fatalf("snapshot has %d entries, reference %d, want 16", len(gm), len(wm))
	}
	for name, w := range wm {
		if !reflect.DeepEqual(gm[name], w) {
			t.Errorf("snapshot entry %q differs from the reference's", name)
		}
	}
	names := decodeNames(t, got)
	if !slices.IsSorted(names) {
		t.Errorf("snapshot names = %v, want sorted", names)
	}
	// Layout: what Python's json.dump(indent=2, ensure_ascii=False) writes.
	if !bytes.HasPrefix(got, []byte("[\n  {\n    \"name\": ")) || !bytes.HasSuffix(got, []byte("\n  }\n]\n")) {
		t.Errorf("snapshot layout is not the reference's: starts %q, ends %q", got[:20], got[len(got)-10:])
	}
	// Each merged entry's Raw agrees with the reference too.
	for _, e := range r.Entries(context.Background()) {
		w, _ := json.Marshal(wm[e.Name()])
		if !equalJSON(t, e.Raw(), w) {
			t.Errorf("Entry(%q).Raw() differs from the reference's merged record", e.Name())
		}
	}
}

// The facts issue 2 checks from outside, and the corpus README's.
func TestCorpusFacts(t *testing.T) {
	r := mustOpen(t, corpusDir(t), registry.Options{})
	es := r.Entries(context.Background())
	if len(es) != 16 {
		t.Fatalf("len(Entries()) = %d, want 16", len(es))
	}
	// In the discovered layer two entries store vision as an enabled
	// object; read alone (single-file mode) they normalise to true.
	visionObject := map[string]bool{"qwen2.5vl_7b_(Q4_K_M)": true, "qwen25vl_8.3b_(Q4_K_M)": true}
	single, err := registry.OpenFile(context.Background(), path(registrytest.Corpus(t), registrytest.DiscoveredFile), registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range single.Entries(context.Background()) {
		var caps map[string]json.RawMessage
		_ = json.Unmarshal(e.Field("capabilities"), &caps)
		isObj := bytes.HasPrefix(bytes.TrimSpace(caps["vision"]), []byte("{"))
		if isObj != visionObject[e.Name()] {
			t.Errorf("entry %q: stored vision is object = %v, want %v", e.Name(), isObj, visionObject[e.Name()])
		}
		if isObj && !e.Capabilities()["vision"] {
			t.Errorf("Entry(%q).Capabilities()[vision] = false, want true (stored as enabled object)", e.Name())
		}
	}
	for name := range visionObject {
		e, _ := r.Get(context.Background(), name)
		if !e.Capabilities()["vision"] {
			t.Errorf("merged Entry(%q).Capabilities()[vision] = false, want true", name)
		}
	}
	e, err := r.Get(context.Background(), "gpt-oss-20b_(MXFP4)")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Artifacts().AggregateSHA256[:12]; got != "8dd25acb04cf" {
		t.Errorf("Artifacts().AggregateSHA256[:12] = %q, want 8dd25acb04cf", got)
	}
	if got := e.AggregateSHA256(); got != e.Artifacts().AggregateSHA256 {
		t.Errorf("AggregateSHA256() = %q, want %q", got, e.Artifacts().AggregateSHA256)
	}
	// Curated extra_args win over the stale discovered copy.
	q, _ := r.Get(context.Background(), "qwen3-vl-8b-instruct_(FP8)")
	args := q.BackendConfig().ExtraArgs
	i := slices.Index(args, "--limit-mm-per-prompt")
	if i < 0 || i+1 >= len(args) || !bytes.Contains([]byte(args[i+1]), []byte("2")) {
		t.Errorf("qwen3-vl-8b-instruct_(FP8) extra_args = %v, want curated --limit-mm-per-prompt image 2", args)
	}
	o, _ := r.Get(context.Background(), "qwen2.5vl_7b_(Q4_K_M)")
	bc := o.BackendConfig()
	if bc.Host != "imageworks-ollama" || bc.Port != 11434 || !bytes.HasPrefix([]byte(bc.ModelPath), []byte("ollama:/")) {
		t.Errorf("BackendConfig() = %+v, want host imageworks-ollama, port 11434, ollama:/ model path", bc)
	}
	if o.Backend() != "ollama" || !bytes.Contains([]byte(o.ServedModelID()), []byte(":")) {
		t.Errorf("Backend(), ServedModelID() = %q, %q, want ollama and a name:tag", o.Backend(), o.ServedModelID())
	}
	if !o.InCurated() {
		t.Errorf("InCurated() = false, want true")
	}
	d, _ := r.Get(context.Background(), "siglip-large-patch16-384_(FP32)")
	if d.InCurated() {
		t.Errorf("siglip InCurated() = true, want false (discovered only)")
	}
	if _, err := r.Get(context.Background(), "no such model"); !errorsIs(err, registry.ErrNotFound) || !bytes.Contains([]byte(err.Error()), []byte("no such model")) {
		t.Errorf("Get(unknown) = %v, want ErrNotFound naming the entry", err)
	}
	if e, err := r.Get(context.Background(), "  gpt-oss-20b_(MXFP4) "); err != nil || e.Name() != "gpt-oss-20b_(MXFP4)" {
		t.Errorf("Get with spaces = %v, %v, want the trimmed entry", e, err)
	}
}
