package registry_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

var synonyms = map[string][]string{
	"text":      {"text", "language", "chat"},
	"vision":    {"vision", "visual", "multimodal", "mm", "image", "vl"},
	"audio":     {"audio", "speech", "voice", "asr", "tts"},
	"embedding": {"embedding", "embed", "text-embedding", "representation"},
	"tools": {"tools", "tool_use", "tool-use", "tool_call", "tool-call", "toolcalls", "tool_calls", "toolchoice",
		"tool_choice", "function_call", "function-call", "function_calls", "function_calling", "function-calling",
		"function_tools", "functioncalling", "toolcalling", "auto_tool_choice"},
	"thinking": {"thinking", "reasoning", "reason", "think", "chain_of_thought", "cot", "reasoner", "o1", "o3", "r1", "deepseek"},
}

var canonical = []string{"audio", "embedding", "reasoning", "text", "thinking", "tools", "vision"}

// Every synonym sets its canonical key (thinking and reasoning together)
// and nothing else canonical; text stays true.
func TestNormalizeCapabilitiesSynonyms(t *testing.T) {
	for canon, keys := range synonyms {
		for _, k := range keys {
			for _, spelled := range []string{k, " " + k + " ", upper(k)} {
				t.Run(canon+"/"+spelled, func(t *testing.T) {
					raw := fmt.Sprintf(`{%q: true}`, spelled)
					got := registry.NormalizeCapabilities([]byte(raw))
					want := map[string]bool{"text": true}
					for _, c := range canonical {
						if _, ok := want[c]; !ok {
							want[c] = false
						}
					}
					want[k] = true
					switch canon {
					case "thinking":
						want["thinking"], want["reasoning"] = true, true
					default:
						want[canon] = true
					}
					if !maps.Equal(got, want) {
						t.Errorf("NormalizeCapabilities(%s) = %v, want %v", raw, got, want)
					}
					if c := registry.CanonicalCapability(spelled); !(c == canon || canon == "thinking" && (c == "thinking" || c == "reasoning")) {
						t.Errorf("CanonicalCapability(%q) = %q, want %q", spelled, c, canon)
					}
				})
			}
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func TestNormalizeCapabilitiesValues(t *testing.T) {
	tests := []struct {
		raw  string
		want map[string]bool // checked keys only
	}{
		{`{"vision": {"enabled": true, "target_long_edge": 448}}`, map[string]bool{"vision": true}},
		{`{"vision": {"enabled": false, "target_long_edge": 448}}`, map[string]bool{"vision": false}},
		{`{"vision": {"target_long_edge": 448}}`, map[string]bool{"vision": true}},
		{`{"vision": {}}`, map[string]bool{"vision": false}},
		{`{"vision": "yes"}`, map[string]bool{"vision": false}},
		{`{"vision": 1}`, map[string]bool{"vision": false}},
		{`{"vision": null}`, map[string]bool{"vision": false}},
		{`{"visual": false, "vl": true}`, map[string]bool{"vision": true, "visual": false, "vl": true}},
		{`{}`, map[string]bool{"text": true, "vision": false}},
		{`{"text": false}`, map[string]bool{"text": false}},
		{`{"chat": false, "language": false}`, map[string]bool{"text": false}},
		{`{"text": false, "chat": true}`, map[string]bool{"text": true}},
		{`{"reasoning": true}`, map[string]bool{"thinking": true, "reasoning": true}},
		{`{"Custom_Thing": true, "other": {"enabled": true}}`, map[string]bool{"custom_thing": true, "other": true}},
		{`not json`, map[string]bool{"text": true, "vision": false}},
		{`[true]`, map[string]bool{"text": true}},
		{` {"vision": true} `, map[string]bool{"vision": true}},
	}
	for _, tt := range tests {
		got := registry.NormalizeCapabilities([]byte(tt.raw))
		for k, w := range tt.want {
			if got[k] != w {
				t.Errorf("NormalizeCapabilities(%s)[%s] = %v, want %v", tt.raw, k, got[k], w)
			}
		}
		for _, c := range canonical {
			if _, ok := got[c]; !ok {
				t.Errorf("NormalizeCapabilities(%s) lacks canonical key %s", tt.raw, c)
			}
		}
	}
	keys := slices.Sorted(maps.Keys(registry.NormalizeCapabilities([]byte(`{"Vision ": true, "x": false}`))))
	if want := []string{"audio", "embedding", "reasoning", "text", "thinking", "tools", "vision", "x"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	if registry.CanonicalCapability("  ") != "" || registry.CanonicalCapability("Whatever") != "whatever" {
		t.Errorf("CanonicalCapability of blank/unknown = %q/%q, want \"\"/whatever", registry.CanonicalCapability("  "), registry.CanonicalCapability("Whatever"))
	}
}

// TestCapabilityNames: the list of known names is exactly the synonym
// table (every name in it is known, every synonym is in it) and the
// canonical keys are the normalised map's.
func TestCapabilityNames(t *testing.T) {
	var all []string
	for _, keys := range synonyms {
		all = append(all, keys...)
	}
	slices.Sort(all)
	if got := registry.CapabilityNames(); !slices.Equal(got, all) {
		t.Errorf("CapabilityNames() = %q, want %q", got, all)
	}
	for _, n := range all {
		if !registry.KnownCapability(" " + upper(n)) {
			t.Errorf("KnownCapability(%q) = false", n)
		}
	}
	for _, n := range []string{"vison", "teleport", ""} {
		if registry.KnownCapability(n) {
			t.Errorf("KnownCapability(%q) = true", n)
		}
	}
	if got := registry.CanonicalCapabilities(); !slices.Equal(got, canonical) {
		t.Errorf("CanonicalCapabilities() = %q, want %q", got, canonical)
	}
}
