package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/registry"
)

func TestValidateCorpusIsClean(t *testing.T) {
	ps, err := registry.Validate(context.Background(), corpusDir(t))
	if err != nil || len(ps) != 0 {
		t.Errorf("Validate(corpus) = %v, %v, want no problems", ps, err)
	}
}

func TestValidate(t *testing.T) {
	const curated = `[
  {
    "name": "a",
    "backend": "vllm",
    "artifacts": {"files": []},
    "roles": "caption"
  },
  {
    "name": "b"
  },
  {
    "backend": "vllm"
  },
  7
]
`
	const discovered = `[
  {
    "name": "b",
    "version_lock": {"locked": "yes", "last_verified": "yesterday"}
  },
  {
    "name": "d",
    "backend": "ollama",
    "backend_config": {"port": "8000"},
    "capabilities": {"vision": 1}
  },
  {
    "name": "d",
    "backend": "ollama",
    "download_size_bytes": 1.5,
    "deprecated": "no",
    "role_priority": {"caption": "high"}
  },
  {
    "name": "e",
    "generation_defaults": {"max_tokens": 1.5},
    "chat_template": {"source": 1},
    "performance": {"ttft_ms_avg": "fast"}
  }
]
`
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), curated)
	writeFile(t, path(dir, registry.DiscoveredFile), discovered)
	ps, err := registry.Validate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	cf, df := path(dir, registry.CuratedFile), path(dir, registry.DiscoveredFile)
	want := []string{
		cf + `:5:5: a: runtime-owned field "artifacts" belongs in the discovered layer, not the curated file`,
		cf + `:6:5: a: roles must be a list of strings, found a string`,
		cf + `:8:3: b: entry has no "backend"`,
		cf + `:11:3: entry has no "name"`,
		cf + `:14:3: element is not a JSON object`,
		df + `:4:5: b: version_lock.locked must be a boolean, found a string`,
		df + `:9:5: d: backend_config.port must be an integer, found a string`,
		df + `:10:5: d: capabilities.vision must be a boolean or an object, found a number`,
		df + `:12:3: d: duplicate name (occurrence 2; the later record wins)`,
		df + `:15:5: d: download_size_bytes must be an integer or null, found a number`,
		df + `:16:5: d: deprecated must be a boolean, found a string`,
		df + `:17:5: d: role_priority.caption must be an integer, found a string`,
		df + `:19:3: e: entry has no "backend"`,
		df + `:21:5: e: generation_defaults.max_tokens must be an integer or null, found a number`,
		df + `:22:5: e: chat_template.source must be a string or null, found a number`,
		df + `:23:5: e: performance.ttft_ms_avg must be a number or null, found a string`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Validate() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestValidateParseErrorsAndFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), "[\n  {\"name\": \"a\",\n")
	writeFile(t, path(dir, registry.DiscoveredFile), "[]\n")
	ps, err := registry.Validate(context.Background(), dir)
	if err != nil || len(ps) != 1 || ps[0].Line != 3 || ps[0].File != path(dir, registry.CuratedFile) || !strings.Contains(ps[0].Message, "end of file") {
		t.Errorf("Validate(truncated) = %v, %v, want one problem at line 3 of the curated file", ps, err)
	}
	if _, err := registry.Validate(context.Background(), t.TempDir()); !errors.Is(err, registry.ErrNoRegistry) {
		t.Errorf("Validate(empty dir) = %v, want ErrNoRegistry", err)
	}
	f := path(dir, "single.json")
	writeFile(t, f, "[{\"name\": \"x\"}, {\"name\": \"x\", \"backend\": \"b\", \"version_lock\": {\"locked\": true}}]\n")
	ps, err = registry.ValidateFile(context.Background(), f)
	if err != nil || len(ps) != 2 {
		t.Errorf("ValidateFile() = %v, %v, want a missing backend and a duplicate (runtime keys allowed)", ps, err)
	}
	// Legacy directories are checked as one file.
	legacy := t.TempDir()
	writeFile(t, path(legacy, registry.SnapshotFile), "[{\"name\": \"x\", \"backend\": \"b\"}, {\"name\": \"x\", \"backend\": \"b\"}]\n")
	ps, err = registry.Validate(context.Background(), legacy)
	if err != nil || len(ps) != 1 || !strings.Contains(ps[0].Message, "duplicate") {
		t.Errorf("Validate(legacy) = %v, %v, want the duplicate", ps, err)
	}
}

func TestTimestamps(t *testing.T) {
	want := time.Date(2025, 11, 6, 22, 32, 45, 0, time.UTC)
	for _, s := range []string{"2025-11-06T22:32:45+00:00", "2025-11-06T22:32:45Z", "2025-11-06T23:32:45+01:00"} {
		got, err := registry.ParseTimestamp(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v, want %v", s, got, err, want)
		}
	}
	if got, err := registry.ParseTimestamp("2025-11-06T22:32:45.240601+00:00"); err != nil || got.Nanosecond() != 240601000 {
		t.Errorf("ParseTimestamp(fractional) = %v, %v", got, err)
	}
	if _, err := registry.ParseTimestamp("yesterday"); err == nil || !strings.Contains(err.Error(), "yesterday") {
		t.Errorf("ParseTimestamp(yesterday) = %v, want an error naming the value", err)
	}
	in := time.Date(2025, 11, 6, 23, 32, 45, 999, time.FixedZone("x", 3600))
	if got := registry.FormatTimestamp(in); got != "2025-11-06T22:32:45Z" {
		t.Errorf("FormatTimestamp() = %q, want 2025-11-06T22:32:45Z", got)
	}
	r := mustOpen(t, corpusDir(t), registry.Options{Now: func() time.Time { return want }})
	if !r.Now().Equal(want) {
		t.Errorf("Now() = %v, want the injected clock", r.Now())
	}
}

// TestValidateNames: unknown capability keys, backends and roles are
// warnings, each once and with the close names; a discovered record's
// backend is not checked when the curated one sets the entry's; known
// names (any case for roles and capabilities) pass.
func TestValidateNames(t *testing.T) {
	const curated = `[
  {"name": "a", "backend": "vlm", "capabilities": {"vison": true, "Vision": true, "sparkle": true},
   "roles": ["captoin", "Chat", "captoin"], "role_priority": {"captoin": 3, "keywrods": 1}},
  {"name": "b", "backend": "ollama"}
]`
	const discovered = `[
  {"name": "b", "backend": "olama"},
  {"name": "c", "backend": "olama"}
]`
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), curated)
	writeFile(t, path(dir, registry.DiscoveredFile), discovered)
	opts := registry.ValidateOptions{KnownBackends: []string{"lmdeploy", "ollama", "vllm"}, KnownRoles: []string{"caption", "chat", "keywords"}}
	ps, err := registry.ValidateWith(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		if p.Severity != registry.SeverityWarning {
			t.Errorf("problem %s is not a warning", p)
		}
		got = append(got, p.Entry+": "+p.Message)
	}
	want := []string{
		`a: backend "vlm" is not bundled and no plugin imageworks-backend-vlm is installed; did you mean "vllm"?`,
		`a: capability "vison" is no known capability (kept as a custom one); did you mean "vision"?`,
		`a: capability "sparkle" is no known capability (kept as a custom one); known: audio, embedding, reasoning, text, thinking, tools, vision`,
		`a: role "captoin" is no known role (fine if you mean a role of your own); did you mean "caption"?`,
		`a: role "keywrods" is no known role (fine if you mean a role of your own); did you mean "keywords"?`,
		`c: backend "olama" is not bundled and no plugin imageworks-backend-olama is installed; did you mean "ollama"?`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ValidateWith() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without the options only the capability keys are checked.
	ps, err = registry.Validate(context.Background(), dir)
	if err != nil || len(ps) != 2 {
		t.Errorf("Validate() = %v, %v, want the two capability warnings", ps, err)
	}
	// Single-file mode checks the same.
	ps, err = registry.ValidateFileWith(context.Background(), path(dir, registry.CuratedFile), opts)
	if err != nil || len(ps) != 5 {
		t.Errorf("ValidateFileWith() = %v, %v, want the curated file's five warnings", ps, err)
	}
}
