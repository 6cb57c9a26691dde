package doc

import (
	"bytes"
	"fmt"
)

// This file writes JSON the way the reference (Python's json.dump with
// indent=2 and ensure_ascii=False) spells it: strings, floats and the
// indented layout.

// appendQuoted appends s as a JSON string the way Python's json.dump with
// ensure_ascii=False writes it: only '"', '\\' and control characters are
// escaped; everything else, including non-ASCII, is kept as it is.
func appendQuoted(dst []byte, s string) []byte {
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

// Reformat appends the valid JSON value v in the reference layout, its first
// line at indentation ind. Strings are re-encoded the reference way and
// number tokens are kept as they are.
func Reformat(dst, v []byte, ind int) []byte {
	switch {
	case isObject(v):
		n := 0
		dst = append(dst, '{')
		eachMember(v, func(k, val []byte) bool {
			dst = appendItemStart(dst, n, ind+1)
			n++
			dst = appendQuoted(dst, unquote(k))
			dst = append(dst, ':', ' ')
			dst = Reformat(dst, val, ind+1)
			return true
		})
		return appendClose(dst, n, ind, '}')
	case isArray(v):
		n := 0
		dst = append(dst, '[')
		eachElem(v, func(val []byte) bool {
			dst = appendItemStart(dst, n, ind+1)
			n++
			dst = Reformat(dst, val, ind+1)
			return true
		})
		return appendClose(dst, n, ind, ']')
	case isString(v):
		return appendQuoted(dst, unquote(v))
	default:
		return append(dst, v...)
	}
}

// appendValue appends v, taken from a record whose layout is canon or not,
// at indentation ind: verbatim when the source already has the reference
// layout at the same depth, reformatted otherwise.
func appendValue(dst, v []byte, canon bool, ind int) []byte {
	if canon {
		return append(dst, v...)
	}
	return Reformat(dst, v, ind)
}

// appendRawCompact validates raw JSON and appends it compactly with strings
// re-encoded the reference way.
func appendRawCompact(dst, raw []byte) ([]byte, error) {
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
	return compact(dst, raw), nil
}

// compact appends the valid JSON value v without whitespace.
func compact(dst, v []byte) []byte {
	switch {
	case isObject(v):
		dst = append(dst, '{')
		n := 0
		eachMember(v, func(k, val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendQuoted(dst, unquote(k))
			dst = append(dst, ':')
			dst = compact(dst, val)
			return true
		})
		return append(dst, '}')
	case isArray(v):
		dst = append(dst, '[')
		n := 0
		eachElem(v, func(val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = compact(dst, val)
			return true
		})
		return append(dst, ']')
	case isString(v):
		return appendQuoted(dst, unquote(v))
	default:
		return append(dst, v...)
	}
}

// appendItemStart starts the item after n others of a container, at
// indentation ind, in Python's indent=2 layout: a comma after the one
// before, a newline, the indentation.
func appendItemStart(dst []byte, n, ind int) []byte {
	if n > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, '\n')
	return append(dst, spaces(ind)...)
}

// appendClose closes a container of n items whose opening line has
// indentation ind: on a line of its own when it has items, right after
// the opening byte when empty ([] and {}, as Python writes them).
func appendClose(dst []byte, n, ind int, closing byte) []byte {
	if n > 0 {
		dst = append(dst, '\n')
		dst = append(dst, spaces(ind)...)
	}
	return append(dst, closing)
}
