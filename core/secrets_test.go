package core

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSecrets: a Loader's Secrets are the entries' api_key_env values,
// secret flag values in extra_args and URL credentials, longest first and
// without duplicates; a key written into the registry while the Loader is
// open is in the next answer.
func TestSecrets(t *testing.T) {
	dir := writeRegistry(t, `[
  {"name": "a", "backend": "vllm", "backend_config": {"api_key_env": "MY_KEY", "extra_args": ["--api-key", "sk-arg-1", "--seed", "1"]}},
  {"name": "b", "backend": "vllm", "backend_config": {"base_url": "http://u:urlpw@h/v1", "extra_args": ["--api-key=sk-arg-1"]}}
]
`, "")
	l := open(t, dir, nil)
	ctx := context.Background()
	reveal := func() []string {
		var out []string
		for _, s := range l.Secrets(ctx) {
			out = append(out, s.Reveal())
		}
		return out
	}
	// URLSecrets gives the password and the Basic credential of u:urlpw.
	want := []string{"dTp1cmxwdw==", "sk-arg-1", "s3cret", "urlpw"}
	if got := reveal(); !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
	// Another process adds an entry with a key of its own; make sure the
	// layer's time moves even on a coarse clock.
	disc := filepath.Join(dir, "model_registry.discovered.json")
	if err := os.WriteFile(disc, []byte(`[{"name": "c", "backend": "lmdeploy", "backend_config": {"extra_args": ["--api-keys", "k-late-1", "k-late-22"]}}]`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(disc, later, later); err != nil {
		t.Fatal(err)
	}
	if got := reveal(); !slices.Contains(got, "k-late-1") || !slices.Contains(got, "k-late-22") || len(got) != 6 {
		t.Errorf("Secrets() after a key was added = %q, want it to hold k-late-1 and k-late-22 too", got)
	}
}
