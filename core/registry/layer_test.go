package registry

import (
	"strings"
	"testing"
)

// Splicing: removing the first, a middle, the last or every record, and
// appending, keep the other bytes.
func TestRender(t *testing.T) {
	const file = "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"},\n  {\"name\": \"c\"}\n]\n"
	tests := []struct {
		remove []string
		add    bool
		want   string
	}{
		{nil, false, file},
		{[]string{"a"}, false, "[\n  {\"name\": \"b\"},\n  {\"name\": \"c\"}\n]\n"},
		{[]string{"b"}, false, "[\n  {\"name\": \"a\"},\n  {\"name\": \"c\"}\n]\n"},
		{[]string{"c"}, false, "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"}\n]\n"},
		{[]string{"a", "b", "c"}, false, "[]\n"},
		{[]string{"a", "b", "c"}, true, "[\n  {\n    \"name\": \"d\"\n  }\n]\n"},
		{[]string{"c"}, true, "[\n  {\"name\": \"a\"},\n  {\"name\": \"b\"},\n  {\n    \"name\": \"d\"\n  }\n]\n"},
	}
	for _, tt := range tests {
		l, err := parseLayer("f", []byte(file), stamp{})
		if err != nil {
			t.Fatal(err)
		}
		var chs []change
		for _, n := range tt.remove {
			chs = append(chs, change{kind: changeRemove, name: n})
		}
		if tt.add {
			chs = append(chs, change{kind: changeAdd, name: "d", rec: []byte("{\n    \"name\": \"d\"\n  }")})
		}
		nd, _, err := applyChanges(nil, l, chs, "", true)
		if err != nil {
			t.Fatal(err)
		}
		out, nl := nd.render()
		if string(out) != tt.want {
			t.Errorf("render(remove %v, add %v) = %q, want %q", tt.remove, tt.add, out, tt.want)
		}
		// The new layer's records point at the new bytes.
		for _, r := range nl.recs {
			if !strings.Contains(string(out), string(r.Bytes())) {
				t.Errorf("rendered record %q is not at its offset", r.name)
			}
		}
	}
}
