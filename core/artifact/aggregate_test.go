package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// sumHex is the lowercase hex SHA-256 of s.
func sumHex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestAggregatePublishedVectors(t *testing.T) {
	tests := []struct {
		name  string
		files []File
		want  string
	}{
		{"no files", nil, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"three lines", []File{
			{"sub/tokenizer.json", strings.Repeat("c", 64)},
			{"config.json", strings.Repeat("a", 64)},
			{"model-00001-of-00002.safetensors", strings.Repeat("b", 64)},
		}, "67a0e4581d4a48e565b32d5d870e1babfb07fe46477b98ec9449c5103c1bf032"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Aggregate(tt.files)
			if err != nil || got != tt.want {
				t.Errorf("Aggregate(%v) = %q, %v, want %q, nil", tt.files, got, err, tt.want)
			}
		})
	}
}

// TestAggregateFormula recomputes the aggregate from the specification's
// words: sha256sum lines, sorted bytewise, joined by \n, no trailing newline.
func TestAggregateFormula(t *testing.T) {
	files := []File{
		{"b", sumHex("2")},
		{"a b", sumHex("1")},
		{"A", sumHex("3")},
		{"dir/é.json", sumHex("4")},
	}
	// Sorted bytewise by whole line, i.e. by hash first.
	lines := []string{files[0].SHA256 + "  b", files[1].SHA256 + "  a b", files[2].SHA256 + "  A", files[3].SHA256 + "  dir/é.json"}
	for i := range lines {
		for j := i + 1; j < len(lines); j++ {
			if lines[j] < lines[i] {
				lines[i], lines[j] = lines[j], lines[i]
			}
		}
	}
	want := sumHex(strings.Join(lines, "\n"))
	for _, order := range [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}} {
		in := make([]File, len(order))
		for i, k := range order {
			in[i] = files[k]
		}
		got, err := Aggregate(in)
		if err != nil || got != want {
			t.Errorf("Aggregate(order %v) = %q, %v, want %q, nil", order, got, err, want)
		}
		if in[0] != files[order[0]] {
			t.Errorf("Aggregate(order %v) reordered its input", order)
		}
	}
	if trailing := sumHex(strings.Join(lines, "\n") + "\n"); trailing == want {
		t.Fatalf("test is vacuous: trailing newline changes nothing")
	}
}

func TestAggregateRejectsNewline(t *testing.T) {
	_, err := Aggregate([]File{{"ok", sumHex("")}, {"bad\nname", sumHex("")}})
	var pe *PathError
	if !errors.Is(err, ErrInvalidPath) || !errors.As(err, &pe) || pe.Path != "bad\nname" {
		t.Errorf("Aggregate(path with newline) error = %v, want *PathError for %q wrapping ErrInvalidPath", err, "bad\nname")
	}
}
