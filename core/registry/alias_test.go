package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

const aliasCurated = `[
  {"name": "tiny:latest", "backend": "ollama", "model_aliases": ["tiny", " tiny "]},
  {"name": "a", "backend": "vllm", "model_aliases": ["shared", "b"]},
  {"name": "b", "backend": "vllm", "model_aliases": ["shared"]}
]`

// TestGetFallsBackToUniqueAlias: a name no entry has resolves to the one
// entry listing it in model_aliases, for Get and Update alike; an exact
// name wins over an alias; an alias of two entries is an error naming both.
func TestGetFallsBackToUniqueAlias(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), aliasCurated)
	r := mustOpen(t, dir, registry.Options{})
	for name, want := range map[string]string{"tiny": "tiny:latest", " tiny": "tiny:latest", "b": "b", "a": "a"} {
		if e, err := r.Get(ctx, name); err != nil || e.Name() != want {
			t.Errorf("Get(%q) = %v, %v, want entry %q", name, e, err, want)
		}
	}
	if err := r.Update(ctx, "tiny", func(ed *registry.Edit) error { return ed.Set(true, "version_lock", "locked") }); err != nil {
		t.Fatalf("Update(alias) error = %v", err)
	}
	if e, _ := r.Get(ctx, "tiny:latest"); !e.VersionLock().Locked {
		t.Errorf("Update(%q) did not edit %q", "tiny", "tiny:latest")
	}
	_, err := r.Get(ctx, "shared")
	var ae *registry.AliasError
	if !errors.Is(err, registry.ErrAmbiguousAlias) || !errors.As(err, &ae) ||
		!strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("Get(alias of two entries) error = %v, want an *AliasError naming \"a\" and \"b\"", err)
	}
	if _, err := r.Get(ctx, "nope"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
}

// TestValidateReportsAliasClashes: validate names an alias claimed by two
// entries (at each claimer) and an alias equal to another entry's name.
func TestValidateReportsAliasClashes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), aliasCurated)
	ps, err := registry.Validate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Entry+": "+p.Message)
	}
	want := []string{
		`a: alias "shared" is also listed by "b"; looking it up is an error`,
		`a: alias "b" is the name of another entry, which wins every lookup of it`,
		`b: alias "shared" is also listed by "a"; looking it up is an error`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate() problems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, p := range ps {
		if p.Line != 3 && p.Line != 4 {
			t.Errorf("problem %v is not on its entry's line", p)
		}
	}
}

// TestNotFoundSuggests: an unknown name is a *NotFoundError (still
// ErrNotFound) carrying the entry names and aliases close to it, the same
// name but for case first; Update and Remove say the same.
func TestNotFoundSuggests(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), aliasCurated)
	r := mustOpen(t, dir, registry.Options{})
	for _, tt := range []struct {
		name string
		want []string
		msg  string
	}{
		{"Tiny:Latest", []string{"tiny:latest"}, `entry "Tiny:Latest": entry not found; did you mean "tiny:latest"?`},
		{"tny", []string{"tiny"}, `entry "tny": entry not found; did you mean "tiny"?`}, // an alias counts
		{"sharde", []string{"shared"}, ``},
		{"zzzzzz", nil, `entry "zzzzzz": entry not found`},
	} {
		_, err := r.Get(ctx, tt.name)
		var nf *registry.NotFoundError
		if !errors.Is(err, registry.ErrNotFound) || !errors.As(err, &nf) || strings.Join(nf.Suggestions, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Get(%q) = %v, want a *NotFoundError suggesting %q", tt.name, err, tt.want)
			continue
		}
		if tt.msg != "" && err.Error() != tt.msg {
			t.Errorf("Get(%q) error = %q, want %q", tt.name, err, tt.msg)
		}
	}
	err := r.Remove(ctx, "B ")
	var nf *registry.NotFoundError
	if !errors.As(err, &nf) || len(nf.Suggestions) != 1 || nf.Suggestions[0] != "b" {
		t.Errorf("Remove(%q) = %v, want a *NotFoundError suggesting \"b\"", "B ", err)
	}
}
