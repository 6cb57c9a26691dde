package core

import "testing"

// TestLoadedName: a loaded model id finds its entry as Ollama names it:
// in any case, ":latest" implied both ways.
func TestLoadedName(t *testing.T) {
	names := map[string]string{"llava:7b": "llava-entry", "tiny": "tiny-entry"}
	for id, want := range map[string]string{
		"llava:7b": "llava-entry", "LLaVA:7B": "llava-entry", "tiny:latest": "tiny-entry",
		"Tiny": "tiny-entry", "llava": "", "other:7b": "",
	} {
		if got := loadedName(names, id); got != want {
			t.Errorf("loadedName(%q) = %q, want %q", id, got, want)
		}
	}
	names = map[string]string{"llava:latest": "l"}
	if got := loadedName(names, "LLAVA"); got != "l" {
		t.Errorf("loadedName(LLAVA) over llava:latest = %q, want l", got)
	}
}
