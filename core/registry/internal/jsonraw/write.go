package jsonraw

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file writes JSON the way the reference (Python's json.dump with
// indent=2 and ensure_ascii=False) spells it: strings, floats and the
// indented layout.

// appendQuoted appends s as a JSON string the way Python's json.dump with
// ensure_ascii=False writes it: only '"', '\\' and control characters are
// escaped; everything else, including non-ASCII, is kept as it is.
func AppendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = fmt.Appendf(dst, `\u%04x`, c)
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// pyFloat formats f as Python's repr does: the shortest round-tripping
// digits, fixed notation for decimal exponents in [-4, 16), otherwise
// scientific with a signed two-digit exponent, and always a '.0' or an
// exponent so the value reads back as a float.
func PyFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("%v is not representable in JSON", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0", nil
		}
		return "0.0", nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±dd
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	epos := strings.IndexByte(s, 'e')
	digits := strings.Replace(s[:epos], ".", "", 1)
	exp, _ := strconv.Atoi(s[epos+1:])
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	switch {
	case exp >= 16 || exp < -4:
		b.WriteByte(digits[0])
		if len(digits) > 1 {
			b.WriteByte('.')
			b.WriteString(digits[1:])
		}
		b.WriteByte('e')
		if exp < 0 {
			b.WriteByte('-')
			exp = -exp
		} else {
			b.WriteByte('+')
		}
		if exp < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.Itoa(exp))
	case exp >= 0:
		if len(digits) <= exp+1 {
			b.WriteString(digits)
			b.WriteString(strings.Repeat("0", exp+1-len(digits)))
			b.WriteString(".0")
		} else {
			b.WriteString(digits[:exp+1])
			b.WriteByte('.')
			b.WriteString(digits[exp+1:])
		}
	default:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -exp-1))
		b.WriteString(digits)
	}
	return b.String(), nil
}

// reformat appends the valid JSON value v in the reference layout, its first
// line at indentation ind. Strings are re-encoded the reference way and
// number tokens are kept as they are.
func Reformat(dst, v []byte, ind int) []byte {
	switch {
	case IsObject(v):
		n := 0
		dst = append(dst, '{')
		EachMember(v, func(k, val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '\n')
			dst = append(dst, Spaces(ind+1)...)
			dst = AppendQuoted(dst, Unquote(k))
			dst = append(dst, ':', ' ')
			dst = Reformat(dst, val, ind+1)
			return true
		})
		if n > 0 {
			dst = append(dst, '\n')
			dst = append(dst, Spaces(ind)...)
		}
		return append(dst, '}')
	case IsArray(v):
		n := 0
		dst = append(dst, '[')
		EachElem(v, func(val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '\n')
			dst = append(dst, Spaces(ind+1)...)
			dst = Reformat(dst, val, ind+1)
			return true
		})
		if n > 0 {
			dst = append(dst, '\n')
			dst = append(dst, Spaces(ind)...)
		}
		return append(dst, ']')
	case IsString(v):
		return AppendQuoted(dst, Unquote(v))
	default:
		return append(dst, v...)
	}
}

// appendValue appends v, taken from a record whose layout is canon or not,
// at indentation ind: verbatim when the source already has the reference
// layout at the same depth, reformatted otherwise.
func AppendValue(dst, v []byte, canon bool, ind int) []byte {
	if canon {
		return append(dst, v...)
	}
	return Reformat(dst, v, ind)
}

// appendRawCompact validates raw JSON and appends it compactly with strings
// re-encoded the reference way.
func AppendRawCompact(dst, raw []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	s := &scanner{data: raw, intern: map[string]string{}}
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty JSON value")
	}
	if err := s.value(0); err != nil {
		return nil, fmt.Errorf("invalid JSON at offset %d: %s", err.Off, err.Msg)
	}
	if s.skipWS(); s.pos != len(raw) {
		return nil, fmt.Errorf("invalid JSON: data after the value at offset %d", s.pos)
	}
	return Compact(dst, raw), nil
}

// compact appends the valid JSON value v without whitespace.
func Compact(dst, v []byte) []byte {
	switch {
	case IsObject(v):
		dst = append(dst, '{')
		n := 0
		EachMember(v, func(k, val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = AppendQuoted(dst, Unquote(k))
			dst = append(dst, ':')
			dst = Compact(dst, val)
			return true
		})
		return append(dst, '}')
	case IsArray(v):
		dst = append(dst, '[')
		n := 0
		EachElem(v, func(val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = Compact(dst, val)
			return true
		})
		return append(dst, ']')
	case IsString(v):
		return AppendQuoted(dst, Unquote(v))
	default:
		return append(dst, v...)
	}
}
