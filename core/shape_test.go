package core

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// configSample is a valid value of a backend_config member of kind (see
// registry.ConfigKey).
func configSample(t *testing.T, k registry.ConfigKey) string {
	switch k.Kind {
	case "string":
		return `"value of ` + k.Key + `"`
	case "integer":
		return `4242`
	case "string list":
		return `["--` + k.Key + `", "x"]`
	}
	t.Fatalf("backend_config.%s is of kind %q: teach configSample a value of it", k.Key, k.Kind)
	return ""
}

// TestBackendConfigReachesPlugins: every backend_config member the field
// table knows, and one it does not, reaches a plugin (a real plugin
// process) through Select, read with sdk.Entry.Lookup as the registry
// holds it; the typed members arrive in Entry.Config too, as the registry
// decodes them. So a new member is one row in the table (one value in the
// curated file, even, for a plugin that reads it by Lookup), and this test
// covers it with no change.
func TestBackendConfigReachesPlugins(t *testing.T) {
	keys := append(registry.BackendConfigKeys(), registry.ConfigKey{Key: "not_in_the_table", Kind: "string"})
	cfg, echo := map[string]json.RawMessage{}, []string{}
	want := []string{}
	for _, k := range keys {
		v := configSample(t, k)
		cfg[k.Key] = json.RawMessage(v)
		echo = append(echo, k.Key)
		want = append(want, k.Key+"="+compact([]byte(v)))
	}
	rec, err := json.Marshal(map[string]any{"name": "m", "backend": configEchoName, "backend_config": cfg, "echo": echo})
	if err != nil {
		t.Fatal(err)
	}
	dir := writeRegistry(t, "["+string(rec)+"]", "")
	ctx := context.Background()
	if probs, err := registry.Validate(ctx, dir); err != nil || len(probs) > 0 {
		t.Fatalf("Validate(%s) = %v, %v, want no problems", rec, probs, err)
	}
	l, err := Open(ctx, Options{
		RegistryDir: dir,
		PluginDirs:  []string{filepath.Dir(plugintest.CopySelf(t, configEchoName))},
		Getenv:      func(k string) string { return map[string]string{"HOME": dir}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	sel, err := l.Select(ctx, "m", SelectOptions{})
	if err != nil {
		t.Fatalf("Select(m) = %v", err)
	}
	e, err := l.Entry(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	typed := sdk.BackendConfig(e.BackendConfig())
	typed.ModelPath = l.modelPath(e)
	tj, _ := json.Marshal(typed)
	want = append(want, "config="+string(tj))
	if !slices.Equal(sel.Notes, want) {
		t.Errorf("the plugin got\n%q\nwant\n%q", sel.Notes, want)
	}
	if typed.Port != 4242 || typed.Host == "" || len(typed.ExtraArgs) == 0 {
		t.Errorf("the typed view is %+v, want the samples decoded", typed)
	}
}
