package registry

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The helpers in this file read values that the scanner has already
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
func isBool(v []byte) bool   { return string(v) == "true" || string(v) == "false" }

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

// str decodes a string value; anything else gives "".
func str(v []byte) string {
	if isString(v) {
		return unquote(v)
	}
	return ""
}

// boolean decodes a boolean value; anything else gives false.
func boolean(v []byte) bool { return string(v) == "true" }

// integer decodes an integral number; anything else gives 0.
func integer(v []byte) int {
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

// reformat appends the valid JSON value v in the reference layout, its first
// line at indentation ind. Strings are re-encoded the reference way and
// number tokens are kept as they are.
func reformat(dst, v []byte, ind int) []byte {
	switch {
	case isObject(v):
		n := 0
		dst = append(dst, '{')
		eachMember(v, func(k, val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '\n')
			dst = append(dst, spaces(ind+1)...)
			dst = appendQuoted(dst, unquote(k))
			dst = append(dst, ':', ' ')
			dst = reformat(dst, val, ind+1)
			return true
		})
		if n > 0 {
			dst = append(dst, '\n')
			dst = append(dst, spaces(ind)...)
		}
		return append(dst, '}')
	case isArray(v):
		n := 0
		dst = append(dst, '[')
		eachElem(v, func(val []byte) bool {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, '\n')
			dst = append(dst, spaces(ind+1)...)
			dst = reformat(dst, val, ind+1)
			return true
		})
		if n > 0 {
			dst = append(dst, '\n')
			dst = append(dst, spaces(ind)...)
		}
		return append(dst, ']')
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
	return reformat(dst, v, ind)
}

// encodeValue encodes a Go value as compact JSON in the reference's
// spelling (Python float repr, strings escaped as Python does). Maps are
// written with sorted keys. Types it does not know go through encoding/json.
func encodeValue(v any) ([]byte, error) {
	b, err := appendGo(nil, v)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding %T: %w", ErrInvalidEdit, v, err)
	}
	return b, nil
}

func appendGo(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendQuoted(dst, x), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(dst, x, 10), nil
	case float64:
		s, err := pyFloat(x)
		return append(dst, s...), err
	case float32:
		s, err := pyFloat(float64(x))
		return append(dst, s...), err
	case json.Number:
		if !isNumber([]byte(x)) {
			return nil, fmt.Errorf("invalid number %q", x)
		}
		return append(dst, x...), nil
	case json.RawMessage:
		return appendRawCompact(dst, x)
	case []string:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, s)
		}
		return append(dst, ']'), nil
	case []any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendGo(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case map[string]any:
		if x == nil {
			return append(dst, "null"...), nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendGo(dst, x[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	}
	return appendReflect(dst, reflect.ValueOf(v))
}

// appendReflect encodes structs, slices, maps and pointers the way
// encoding/json does (field names and omitempty from json tags, maps with
// sorted keys) but with the reference's spelling of floats and strings, so
// a float64 field holding 12 is written 12.0 as Python writes it. Types
// with their own JSON or text marshalling, and structs with embedded
// fields, go through encoding/json.
func appendReflect(dst []byte, rv reflect.Value) ([]byte, error) {
	if !rv.IsValid() {
		return append(dst, "null"...), nil
	}
	t := rv.Type()
	jsonMarshalerType := reflect.TypeFor[json.Marshaler]()
	textMarshalerType := reflect.TypeFor[encoding.TextMarshaler]()
	if t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType) ||
		rv.CanAddr() && (reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) {
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return appendViaJSON(dst, rv.Interface())
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		return appendReflect(dst, rv.Elem())
	case reflect.Bool:
		return strconv.AppendBool(dst, rv.Bool()), nil
	case reflect.String:
		return appendQuoted(dst, rv.String()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(dst, rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(dst, rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		s, err := pyFloat(rv.Float())
		return append(dst, s...), err
	case reflect.Slice:
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return appendViaJSON(dst, rv.Interface()) // base64, as encoding/json
		}
		fallthrough
	case reflect.Array:
		dst = append(dst, '[')
		for i := range rv.Len() {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendReflect(dst, rv.Index(i)); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return appendViaJSON(dst, rv.Interface())
		}
		if rv.IsNil() {
			return append(dst, "null"...), nil
		}
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendQuoted(dst, k.String())
			dst = append(dst, ':')
			var err error
			if dst, err = appendReflect(dst, rv.MapIndex(k)); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case reflect.Struct:
		return appendStruct(dst, rv)
	}
	return appendViaJSON(dst, rv.Interface())
}

func appendStruct(dst []byte, rv reflect.Value) ([]byte, error) {
	t := rv.Type()
	for i := range t.NumField() {
		_, opts, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if t.Field(i).Anonymous || strings.Contains(","+opts+",", ",string,") {
			return appendViaJSON(dst, rv.Interface())
		}
	}
	dst = append(dst, '{')
	n := 0
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fv := rv.Field(i)
		if strings.Contains(","+opts+",", ",omitempty,") && isEmptyValue(fv) {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendQuoted(dst, name)
		dst = append(dst, ':')
		var err error
		if dst, err = appendReflect(dst, fv); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// appendViaJSON encodes v with encoding/json (no HTML escaping) and
// re-spells its strings the reference's way.
func appendViaJSON(dst []byte, v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return appendRawCompact(dst, bytes.TrimSpace(buf.Bytes()))
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
		return nil, fmt.Errorf("invalid JSON at offset %d: %s", err.off, err.msg)
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

// pyFloat formats f as Python's repr does: the shortest round-tripping
// digits, fixed notation for decimal exponents in [-4, 16), otherwise
// scientific with a signed two-digit exponent, and always a '.0' or an
// exponent so the value reads back as a float.
func pyFloat(f float64) (string, error) {
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

// jsonEqual reports whether two valid JSON values are equal as values
// (object key order and whitespace aside; numbers compared by value).
func jsonEqual(a, b []byte) bool {
	switch {
	case isObject(a):
		if !isObject(b) {
			return false
		}
		ma, mb := members(a), members(b)
		if len(ma) != len(mb) {
			return false
		}
		for k, va := range ma {
			vb, ok := mb[k]
			if !ok || !jsonEqual(va, vb) {
				return false
			}
		}
		return true
	case isArray(a):
		if !isArray(b) {
			return false
		}
		var ea, eb [][]byte
		eachElem(a, func(v []byte) bool { ea = append(ea, v); return true })
		eachElem(b, func(v []byte) bool { eb = append(eb, v); return true })
		if len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !jsonEqual(ea[i], eb[i]) {
				return false
			}
		}
		return true
	case isString(a):
		return isString(b) && unquote(a) == unquote(b)
	case isNumber(a):
		if !isNumber(b) {
			return false
		}
		if string(a) == string(b) {
			return true
		}
		fa, errA := strconv.ParseFloat(string(a), 64)
		fb, errB := strconv.ParseFloat(string(b), 64)
		return errA == nil && errB == nil && fa == fb && isInteger(a) == isInteger(b)
	default:
		return string(a) == string(b)
	}
}

// members maps an object's keys to their (last) values.
func members(obj []byte) map[string][]byte {
	m := map[string][]byte{}
	eachMember(obj, func(k, v []byte) bool {
		m[unquote(k)] = v
		return true
	})
	return m
}
