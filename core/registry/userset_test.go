package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

func TestParseKeyPath(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want string // keys joined by "|"; "" for an error
	}{
		{"served_model_id", "served_model_id"},
		{"backend_config.port", "backend_config|port"},
		{"metadata.a.b", "metadata|a|b"},
		{"", ""},
		{"a..b", ""},
		{".a", ""},
		{"a. ", ""},
	} {
		got, err := registry.ParseKeyPath(tc.key)
		if tc.want == "" {
			if !errors.Is(err, registry.ErrInvalidEdit) {
				t.Errorf("ParseKeyPath(%q) = %q, %v, want ErrInvalidEdit", tc.key, got, err)
			}
			continue
		}
		if err != nil || strings.Join(got, "|") != tc.want {
			t.Errorf("ParseKeyPath(%q) = %q, %v, want %s", tc.key, got, err, tc.want)
		}
	}
}

// ValueFromText: JSON that fits the key, else a string, else (list keys)
// the text split at commas; what fits nothing is an error naming the type.
func TestValueFromText(t *testing.T) {
	for _, tc := range []struct {
		key, text string
		want      string // compact JSON; "" for an error
	}{
		{"backend_config.port", "8001", `8001`},
		{"backend_config.port", "null", `null`},
		{"backend_config.port", "abc", ""},
		{"backend_config.port", "80.5", ""},
		{"served_model_id", "Qwen/Qwen2.5-VL-7B", `"Qwen/Qwen2.5-VL-7B"`},
		{"served_model_id", "123", `"123"`},
		{"served_model_id", `"null"`, `"null"`},
		{"served_model_id", "null", `null`},
		{"served_model_id", "", `""`},
		{"display_name", `["a"]`, `"[\"a\"]"`},
		{"roles", "caption,description", `["caption","description"]`},
		{"roles", " caption , ,chat ", `["caption","chat"]`},
		{"roles", "caption", `["caption"]`},
		{"roles", `["a", "b,c"]`, `["a","b,c"]`},
		{"roles", "", `[]`},
		{"model_aliases", "x", `["x"]`},
		{"backend_config.extra_args", "--a,--b", `["--a","--b"]`},
		{"deprecated", "true", `true`},
		{"deprecated", "yes", ""},
		{"capabilities.vision", "true", `true`},
		{"capabilities", `{"vision": true}`, `{"vision":true}`},
		{"role_priority.caption", "5", `5`},
		{"role_priority.caption", "high", ""},
		{"generation_defaults.temperature", "0.7", `0.7`},
		{"metadata.note", "a,b", `"a,b"`},
		{"metadata.note", `{"k": [1, 2]}`, `{"k":[1,2]}`},
		{"my_own_field", "12", `12`},
		{"my_own_field", "x<&>", `"x<&>"`},
		// Only JSON's own whitespace around a value makes text JSON; a
		// no-break space or a form feed keeps it a string.
		{"my_own_field", "12\u00a0", "\"12\u00a0\""},
		{"my_own_field", "\ftrue", `"\ftrue"`},
	} {
		path, err := registry.ParseKeyPath(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := registry.ValueFromText(path, tc.text)
		if tc.want == "" {
			if !errors.Is(err, registry.ErrInvalidEdit) || !strings.Contains(err.Error(), tc.key+" must be") {
				t.Errorf("ValueFromText(%s, %q) = %s, %v, want ErrInvalidEdit saying what %s must be", tc.key, tc.text, got, err, tc.key)
			}
			continue
		}
		if err != nil || string(got) != tc.want {
			t.Errorf("ValueFromText(%s, %q) = %s, %v, want %s", tc.key, tc.text, got, err, tc.want)
		}
	}
}

// SetByHand refuses runtime-owned fields on every entry, curated-owned
// fields of a curated entry (naming the curated file) and the name; it
// sets the rest on a discovered entry.
func TestSetByHand(t *testing.T) {
	ctx := context.Background()
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	set := func(name, key, text string) error {
		path, err := registry.ParseKeyPath(key)
		if err != nil {
			return err
		}
		return r.Update(ctx, name, func(ed *registry.Edit) error { return ed.SetByHand(path, text) })
	}
	for _, name := range []string{"a", "c"} {
		for _, key := range []string{"version_lock.locked", "artifacts", "probes.vision", "performance.ttft_ms_avg", "download_path", "last_accessed"} {
			var rfe *registry.RuntimeFieldError
			err := set(name, key, "true")
			if !errors.As(err, &rfe) || !errors.Is(err, registry.ErrRuntimeField) || rfe.Entry != name || rfe.Field != strings.Split(key, ".")[0] {
				t.Errorf("SetByHand(%s, %s) = %v, want a *RuntimeFieldError", name, key, err)
			}
		}
	}
	var cfe *registry.CuratedFieldError
	if err := set("c", "backend_config.port", "1"); !errors.As(err, &cfe) || cfe.File != path(dir, registry.CuratedFile) || cfe.Field != "backend_config" {
		t.Errorf("SetByHand(curated entry, backend_config.port) = %v, want a *CuratedFieldError naming the curated file", err)
	}
	if err := set("a", "name", "z"); !errors.Is(err, registry.ErrInvalidEdit) {
		t.Errorf("SetByHand(name) = %v, want ErrInvalidEdit", err)
	}
	if err := set("a", "backend_config.port", "x"); !errors.Is(err, registry.ErrInvalidEdit) || !strings.Contains(err.Error(), `entry "a"`) {
		t.Errorf("SetByHand(port=x) = %v, want ErrInvalidEdit naming the entry", err)
	}
	for _, kv := range [][2]string{{"backend_config.port", "8001"}, {"roles", "caption,chat"}, {"served_model_id", "7"}} {
		if err := set("a", kv[0], kv[1]); err != nil {
			t.Fatalf("SetByHand(a, %s=%s) = %v", kv[0], kv[1], err)
		}
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := mustOpen(t, dir, registry.Options{}).Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if e.BackendConfig().Port != 8001 || strings.Join(e.Roles(), ",") != "caption,chat" || e.ServedModelID() != "7" {
		t.Errorf("after SetByHand: port %d, roles %q, served_model_id %q; want 8001, caption,chat, 7", e.BackendConfig().Port, e.Roles(), e.ServedModelID())
	}
	if got := string(readFile(t, path(dir, registry.CuratedFile))); got != editCurated {
		t.Errorf("curated file changed by SetByHand:\n%s", got)
	}
}

// AddedRecord is written in the reference's field order and spelling.
func TestAddedRecordJSON(t *testing.T) {
	raw, err := registry.AddedRecord{
		Name: "m", DisplayName: "m", Backend: "vllm",
		BackendConfig: registry.ImportedConfig{Port: 8001, BaseURL: "http://h/v1?a=1&b=2"},
		Capabilities:  map[string]bool{"vision": true, "tools": true},
		Metadata:      registry.AddedMeta{RegistryLayer: "discovered"},
		Roles:         []string{"caption"},
	}.JSON()
	want := `{"name":"m","display_name":"m","backend":"vllm","backend_config":{"port":8001,"base_url":"http://h/v1?a=1&b=2"},` +
		`"capabilities":{"tools":true,"vision":true},"metadata":{"registry_layer":"discovered"},"roles":["caption"]}`
	if err != nil || string(raw) != want {
		t.Errorf("AddedRecord.JSON() = %s, %v, want %s", raw, err, want)
	}
}
