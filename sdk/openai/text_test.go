package openai

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", 250)
	tests := []struct {
		in, want string
	}{
		{"  A red square.\n", "A red square."},
		{"", ""},
		{long, strings.Repeat("é", 200)},
		{strings.Repeat("a", 200), strings.Repeat("a", 200)},
		{"bad \xff utf8", "bad \uFFFD utf8"},
	}
	for _, tt := range tests {
		got := Excerpt(tt.in)
		if got != tt.want {
			t.Errorf("Excerpt(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n := utf8.RuneCountInString(got); n > ExcerptLimit {
			t.Errorf("Excerpt(%q) has %d runes, want at most %d", tt.in, n, ExcerptLimit)
		}
	}
}

func TestMatchExpect(t *testing.T) {
	tests := []struct {
		answer string
		expect []string
		got    string
		ok     bool
	}{
		{"The image is a solid RED square.", []string{"red"}, "red", true},
		{"It is crimson.", []string{"red", "crimson"}, "crimson", true},
		{"It is blue.", []string{"red"}, "", false},
		{"anything", nil, "", false},
		{"anything", []string{"", "  "}, "", false},
		{"A Red square", []string{" red "}, "red", true},
		// Whole words only: a colour inside another word is no answer.
		{"Two hundred colored dots", []string{"red"}, "", false},
		{"It is reddish.", []string{"red"}, "", false},
		{"red", []string{"red"}, "red", true},
		{"(Red)", []string{"red"}, "red", true},
		{"hundred, then red", []string{"red"}, "red", true},
		{"a dark red square", []string{"dark red"}, "dark red", true},
		{"a dark reddish square", []string{"dark red"}, "", false},
		{"rouge: rot", []string{"rot"}, "rot", true},
	}
	for _, tt := range tests {
		got, ok := MatchExpect(tt.answer, tt.expect)
		if got != tt.got || ok != tt.ok {
			t.Errorf("MatchExpect(%q, %q) = %q, %v, want %q, %v", tt.answer, tt.expect, got, ok, tt.got, tt.ok)
		}
	}
}
