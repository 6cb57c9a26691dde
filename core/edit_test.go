package core

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// Init, Add, Select, Set and Remove through the Loader, from nothing.
func TestInitAddSetRemove(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "configs")
	if _, err := Init(ctx, Options{RegistryDir: dir}); err != nil {
		t.Fatal(err)
	}
	l := open(t, dir, nil)
	added, err := l.Add(ctx, NewEntry{Name: " m ", Backend: "vllm", Port: 8001, Roles: []string{"caption"}, Capabilities: []string{"vision"}})
	if err != nil || added.Name != "m" {
		t.Fatalf("Add = %+v, %v, want entry m", added, err)
	}
	sel, err := l.Select(ctx, "m", SelectOptions{Require: []string{"vision"}})
	if err != nil || sel.Endpoint != "http://localhost:8001/v1" {
		t.Fatalf("Select(m) = %+v, %v, want the endpoint on port 8001", sel, err)
	}
	ed, err := l.Set(ctx, "m", []Setting{{"backend_config.port", "9000"}, {"model_aliases", "mm"}})
	if err != nil || !strings.Contains(string(ed.Record), `"port": 9000`) {
		t.Fatalf("Set = %s, %v, want port 9000", ed.Record, err)
	}
	if _, err := l.Add(ctx, NewEntry{Name: "mm", Backend: "ollama"}); !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("Add(an alias of m) = %v, want ErrExists naming m", err)
	}
	if name, err := l.Remove(ctx, "mm"); err != nil || name != "m" {
		t.Errorf("Remove(mm) = %q, %v, want m removed", name, err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, registry.DiscoveredFile)); string(got) != "[]\n" {
		t.Errorf("discovered after Remove = %q, want []", got)
	}
}

// Add refuses bad input before writing anything.
func TestAddRefuses(t *testing.T) {
	ctx := context.Background()
	dir := writeRegistry(t, `[{"name": "c", "backend": "vllm", "model_aliases": ["x", "y"]}, {"name": "d", "backend": "vllm", "model_aliases": ["y"]}]`, "")
	l := open(t, dir, nil)
	for _, tc := range []struct {
		ne   NewEntry
		want error
		msg  string
	}{
		{NewEntry{Name: "c", Backend: "vllm"}, ErrExists, `entry "c"`},
		{NewEntry{Name: "x", Backend: "vllm"}, ErrExists, `alias of entry "c"`},
		{NewEntry{Name: "y", Backend: "vllm"}, ErrExists, `c, d`},
		{NewEntry{Name: " ", Backend: "vllm"}, registry.ErrInvalidEdit, "needs a name"},
		{NewEntry{Name: "a\x1b[2J", Backend: "vllm"}, registry.ErrInvalidEdit, "control characters"},
		{NewEntry{Name: "n"}, registry.ErrInvalidEdit, "needs a backend"},
		{NewEntry{Name: "n", Backend: "vllm", Port: 70000}, registry.ErrInvalidEdit, "70000"},
		{NewEntry{Name: "n", Backend: "vllm", BaseURL: "ftp://h/"}, registry.ErrInvalidEdit, "not an http(s) URL"},
		{NewEntry{Name: "n", Backend: "vllm", BaseURL: "http://u:pw@h/v1"}, registry.ErrInvalidEdit, "password or key"},
		{NewEntry{Name: "n", Backend: "vllm", Roles: []string{""}}, registry.ErrInvalidEdit, "empty"},
	} {
		_, err := l.Add(ctx, tc.ne)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Add(%+v) = %v, want %v saying %q", tc.ne, err, tc.want, tc.msg)
		}
		if strings.Contains(err.Error(), "pw") {
			t.Errorf("Add's error %q shows the password", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, registry.DiscoveredFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused Add wrote the discovered layer (%v)", err)
	}
}

// Add looks the name up afresh: an entry another writer stored since this
// Loader read the registry is refused, and that entry is kept.
func TestAddSeesAnotherWritersEntry(t *testing.T) {
	ctx := context.Background()
	dir := writeRegistry(t, `[]`, "")
	l1, l2 := open(t, dir, nil), open(t, dir, nil)
	if _, err := l2.Add(ctx, NewEntry{Name: "m", Backend: "ollama"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l1.Add(ctx, NewEntry{Name: "m", Backend: "vllm"}); !errors.Is(err, ErrExists) {
		t.Errorf("Add(m) after another writer stored m = %v, want ErrExists", err)
	}
	e, err := open(t, dir, nil).reg.Get(ctx, "m")
	if err != nil || e.Backend() != "ollama" {
		t.Errorf("the other writer's m = %v, %v, want it kept", e, err)
	}
}
