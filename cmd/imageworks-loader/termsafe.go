package main

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// termText returns s fit to reach a terminal as part of one line: every
// control character (C0 with newline and tab, DEL, C1 such as CSI), every
// bidirectional override and every byte that is not UTF-8 is written as a
// Go escape (\x1b, \n, \u202e, \xff), so a value from a server, a file or
// the user can neither move the cursor, change the title, ring the bell,
// clear the screen nor start a new line or table cell. Every value the CLI
// prints outside JSON passes through here (JSON escapes them itself).
func termText(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(s[i])&0xf, 16))
		case unsafeRune(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// needsEscape reports whether termText would change s.
func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports a rune a terminal acts on instead of showing.
func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
}
