package openai

import (
	"strings"
	"unicode"
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

// MatchExpect reports whether any of expect appears in answer as whole
// words, case-insensitively, and returns the first that does: "red"
// matches "It is red." but not "hundred" or "colored". Empty expectations
// are ignored, so an empty or all-blank list never matches.
func MatchExpect(answer string, expect []string) (string, bool) {
	a := strings.ToLower(answer)
	for _, e := range expect {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if containsWords(a, strings.ToLower(e)) {
			return e, true
		}
	}
	return "", false
}

// containsWords reports whether phrase occurs in text with no letter or
// digit touching it on either side.
func containsWords(text, phrase string) bool {
	for from := 0; from <= len(text)-len(phrase); {
		i := strings.Index(text[from:], phrase)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(phrase)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if !isWordRune(before) && !isWordRune(after) {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
