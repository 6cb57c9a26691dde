package openai

import (
	"strings"
	"unicode/utf8"
)

// ExcerptLimit is the most characters (runes) Excerpt keeps.
const ExcerptLimit = 200

// Excerpt returns s with surrounding space trimmed, cut to at most
// ExcerptLimit runes (on a rune boundary; invalid UTF-8 is replaced).
func Excerpt(s string) string {
	s = strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD")
	if utf8.RuneCountInString(s) <= ExcerptLimit {
		return s
	}
	n := 0
	for i := range s {
		if n == ExcerptLimit {
			return strings.TrimSpace(s[:i])
		}
		n++
	}
	return s
}

// MatchExpect reports whether any of expect appears in answer,
// case-insensitively, and returns the first that does. Empty expectations
// are ignored, so an empty or all-blank list never matches.
func MatchExpect(answer string, expect []string) (string, bool) {
	a := strings.ToLower(answer)
	for _, e := range expect {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(a, strings.ToLower(e)) {
			return e, true
		}
	}
	return "", false
}
