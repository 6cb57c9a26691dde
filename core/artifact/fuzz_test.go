package artifact

import (
	"io/fs"
	"path"
	"strings"
	"testing"
)

// FuzzCheckPath: every accepted path is clean, relative, valid for io/fs,
// free of ".." elements (by either separator) and of newlines, and can be
// placed in an aggregate.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../x", "/x", "./a", "a//b", `a\..\b`, "C:/x", "a\nb", ".gitattributes", "x:Zone.Identifier"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckPath(p) != nil {
			return
		}
		if path.Clean(p) != p || path.IsAbs(p) || !fs.ValidPath(p) || strings.ContainsAny(p, "\n\x00") {
			t.Errorf("CheckPath(%q) = nil, want an error: not clean, absolute or invalid", p)
		}
		for _, e := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
			if e == ".." {
				t.Errorf("CheckPath(%q) = nil, want an error: has a \"..\" element", p)
			}
		}
		if _, err := Aggregate([]File{{Path: p, SHA256: sumHex(p)}}); err != nil {
			t.Errorf("Aggregate(accepted path %q) = %v, want nil", p, err)
		}
	})
}
