package suggest

import (
	"slices"
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	models := []string{"qwen2.5-vl-7b", "demo-tiny", "llava:7b", "nomic-embed-text", "Qwen2.5-VL-7B-AWQ"}
	roles := []string{"caption", "chat", "description", "embedding", "keywords", "narration", "object_detection", "vision_general"}
	caps := []string{"audio", "embedding", "reasoning", "text", "thinking", "tools", "vision", "visual", "vl"}
	backends := []string{"lmdeploy", "ollama", "vllm"}
	tests := []struct {
		name  string
		known []string
		want  []string
	}{
		{"qwen2.5-vl-7B", models, []string{"qwen2.5-vl-7b"}},         // case first, even with a closer-looking prefix match
		{"qwen2.5-vl-7b-awq", models, []string{"Qwen2.5-VL-7B-AWQ"}}, // case in the known name
		{"demo-tny", models, []string{"demo-tiny"}},                  // one deletion
		{"captoin", roles, []string{"caption"}},                      // a swap is one edit
		{"visoin", caps, []string{"vision"}},                         // a swap is one edit
		{"vison", caps, []string{"vision"}},                          // one deletion
		{"olama", backends, []string{"ollama"}},                      // one deletion
		{"vlm", backends, []string{"vllm"}},                          // short name: one edit
		{"vlx", backends, nil},                                       // two edits from vllm: too far for 3 letters
		{"teleport", caps, nil},                                      // nothing close
		{"vision", caps, nil},                                        // exact: nothing to suggest
		{"nomic", models, []string{"nomic-embed-text"}},              // a prefix
		{"", models, nil},                                            // blank
		{strings.Repeat("x", 1<<16), models, nil},                    // long: no comparison at all
		{"  Chat ", roles, []string{"chat"}},                         // spaces and case
	}
	for _, tt := range tests {
		name := tt.name
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			if got := Closest(tt.name, tt.known); !slices.Equal(got, tt.want) {
				t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}

func TestClosestOrderAndLimit(t *testing.T) {
	known := []string{"abcf", "abce", "abcd", "abxd", "abc-long-name"}
	got := Closest("abc", known)
	// distance 1 first, by name; at most three.
	if want := []string{"abcd", "abce", "abcf"}; !slices.Equal(got, want) {
		t.Errorf("Closest = %q, want %q", got, want)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3},
		{"ca", "ac", 1}, {"captoin", "caption", 1}, {"vlm", "vllm", 1}, {"héllo", "hello", 1},
	} {
		if got := distance([]rune(tt.a), []rune(tt.b)); got != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.d)
		}
		if got := distance([]rune(tt.b), []rune(tt.a)); got != tt.d {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.d)
		}
	}
}

func TestHint(t *testing.T) {
	for _, tt := range []struct {
		sugg, known []string
		want        string
	}{
		{[]string{"a"}, nil, `did you mean "a"?`},
		{[]string{"a", "b"}, []string{"x"}, `did you mean "a" or "b"?`},
		{[]string{"a", "b", "c"}, nil, `did you mean "a", "b" or "c"?`},
		{nil, []string{"x", "y"}, `known: x, y`},
		{nil, nil, ``},
	} {
		if got := Hint(tt.sugg, tt.known); got != tt.want {
			t.Errorf("Hint(%q, %q) = %q, want %q", tt.sugg, tt.known, got, tt.want)
		}
	}
	if got := Append("m", nil, nil); got != "m" {
		t.Errorf("Append without hint = %q", got)
	}
	if got := Append("m", []string{"a"}, nil); got != `m; did you mean "a"?` {
		t.Errorf("Append = %q", got)
	}
}
