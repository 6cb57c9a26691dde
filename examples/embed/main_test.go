package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/core"
)

// TestRunResolvesWithoutPlugins resolves the bundled registry with
// in-process backends only: no plugin binary is on any search path.
func TestRunResolvesWithoutPlugins(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "configs"))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IMAGEWORKS_PLUGIN_PATH", "")
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	var out bytes.Buffer
	if err := run(context.Background(), dir, &out); err != nil {
		t.Fatalf("run(%s) = %v", dir, err)
	}
	want := map[string]string{
		"qwen2.5-vl-7b":     "http://localhost:8000/v1",
		"internlm2-chat-7b": "http://localhost:23333/v1",
		"llava-7b":          "http://localhost:11434/v1",
	}
	got := map[string]core.Selection{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var s core.Selection
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		got[s.LogicalName] = s
	}
	for name, endpoint := range want {
		if got[name].Endpoint != endpoint {
			t.Errorf("endpoint of %q = %q, want %q", name, got[name].Endpoint, endpoint)
		}
	}
	if id := got["llava-7b"].InternalModelID; id != "llava:7b" {
		t.Errorf("internal id of llava-7b = %q, want llava:7b", id)
	}
}
