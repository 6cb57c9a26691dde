package doc

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/internal/pyfloat"
)

// Encode encodes a Go value as compact JSON in the reference's spelling
// (Python float repr, strings escaped as Python does). Maps are written
// with sorted keys. Types it does not know go through encoding/json.
func Encode(v any) ([]byte, error) {
	return appendGo(nil, v)
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
		return pyfloat.Append(dst, x)
	case float32:
		return pyfloat.Append(dst, float64(x))
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
		return pyfloat.Append(dst, rv.Float())
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
