package doc

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The helpers in this file read JSON values that the scanner has already
// validated; they do not re-check syntax.

// unquote decodes a JSON string token.
func unquote(tok []byte) string {
	in := tok[1 : len(tok)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return string(in)
	}
	var b strings.Builder
	b.Grow(len(in))
	for i := 0; i < len(in); {
		c := in[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		switch in[i+1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(in[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) && i+6 <= len(in) && in[i] == '\\' && in[i+1] == 'u' {
				if r2 := utf16.DecodeRune(r, hex4(in[i+2:i+6])); r2 != utf8.RuneError {
					b.WriteRune(r2)
					i += 6
					continue
				}
			}
			if utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
			continue
		default: // '"', '\\', '/'
			b.WriteByte(in[i+1])
		}
		i += 2
	}
	return b.String()
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// skipValue returns the end of the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		i++
		for {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return len(b)
			}
			i += j
			k := i - 1
			for b[k] == '\\' {
				k--
			}
			if (i-1-k)%2 == 0 {
				return i + 1
			}
			i++
		}
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			case '"':
				i = skipValue(b, i) - 1
			}
		}
		return i
	default:
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\t', '\r':
				return i
			}
			i++
		}
		return i
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// eachMember calls fn for every member of the object obj in order, stopping
// when fn returns false. keyTok is the key's raw token.
func eachMember(obj []byte, fn func(keyTok, val []byte) bool) {
	i := skipSpace(obj, 1)
	if i >= len(obj) || obj[i] == '}' {
		return
	}
	for {
		ke := skipValue(obj, i)
		key := obj[i:ke]
		i = skipSpace(obj, ke) + 1 // ':'
		i = skipSpace(obj, i)
		ve := skipValue(obj, i)
		if !fn(key, obj[i:ve]) {
			return
		}
		i = skipSpace(obj, ve)
		if i >= len(obj) || obj[i] != ',' {
			return
		}
		i = skipSpace(obj, i+1)
	}
}

// eachElem calls fn for every element of the array arr in order.
func eachElem(arr []byte, fn func(val []byte) bool) {
	i := skipSpace(arr, 1)
	if i >= len(arr) || arr[i] == ']' {
		return
	}
	for {
		ve := skipValue(arr, i)
		if !fn(arr[i:ve]) {
			return
		}
		i = skipSpace(arr, ve)
		if i >= len(arr) || arr[i] != ',' {
			return
		}
		i = skipSpace(arr, i+1)
	}
}

// member returns the value of the last member of obj named key.
func member(obj []byte, key string) ([]byte, bool) {
	if !isObject(obj) {
		return nil, false
	}
	var out []byte
	found := false
	eachMember(obj, func(k, v []byte) bool {
		if keyEq(k, key) {
			out, found = v, true
		}
		return true
	})
	return out, found
}

// keyEq reports whether the key token tok decodes to key.
func keyEq(tok []byte, key string) bool {
	in := tok[1 : len(tok)-1]
	if bytes.IndexByte(in, '\\') < 0 {
		return string(in) == key
	}
	return unquote(tok) == key
}

func isObject(v []byte) bool { return len(v) > 0 && v[0] == '{' }
func isArray(v []byte) bool  { return len(v) > 0 && v[0] == '[' }
func isString(v []byte) bool { return len(v) > 0 && v[0] == '"' }
func isNull(v []byte) bool   { return len(v) == 4 && string(v) == "null" }

// isNumber reports a number token (NaN and infinities included).
func isNumber(v []byte) bool {
	return len(v) > 0 && (v[0] == '-' || isDigit(v[0]) || v[0] == 'N' || v[0] == 'I')
}

// isInteger reports a number token without fraction or exponent.
func isInteger(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	s := v
	if s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 {
		return false
	}
	for _, c := range s {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// intOf decodes an integral number; anything else gives 0.
func intOf(v []byte) int {
	if !isNumber(v) {
		return 0
	}
	if n, err := strconv.Atoi(string(v)); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(string(v), 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return int(f)
	}
	return 0
}

// strList decodes a list of strings, skipping other elements; nil for
// anything that is not an array.
func strList(v []byte) []string {
	if !isArray(v) {
		return nil
	}
	out := []string{}
	eachElem(v, func(e []byte) bool {
		if isString(e) {
			out = append(out, unquote(e))
		}
		return true
	})
	return out
}
