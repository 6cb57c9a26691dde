package doc

import (
	"strconv"
)

// jsonEqual reports whether two valid JSON values are equal as values
// (object key order and whitespace aside; numbers compared by value).
func Equal(a, b []byte) bool {
	switch {
	case IsObject(a):
		if !IsObject(b) {
			return false
		}
		ma, mb := Members(a), Members(b)
		if len(ma) != len(mb) {
			return false
		}
		for k, va := range ma {
			vb, ok := mb[k]
			if !ok || !Equal(va, vb) {
				return false
			}
		}
		return true
	case IsArray(a):
		if !IsArray(b) {
			return false
		}
		var ea, eb [][]byte
		EachElem(a, func(v []byte) bool { ea = append(ea, v); return true })
		EachElem(b, func(v []byte) bool { eb = append(eb, v); return true })
		if len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !Equal(ea[i], eb[i]) {
				return false
			}
		}
		return true
	case IsString(a):
		return IsString(b) && Unquote(a) == Unquote(b)
	case IsNumber(a):
		if !IsNumber(b) {
			return false
		}
		if string(a) == string(b) {
			return true
		}
		fa, errA := strconv.ParseFloat(string(a), 64)
		fb, errB := strconv.ParseFloat(string(b), 64)
		return errA == nil && errB == nil && fa == fb && IsInteger(a) == IsInteger(b)
	default:
		return string(a) == string(b)
	}
}

// members maps an object's keys to their (last) values.
func Members(obj []byte) map[string][]byte {
	m := map[string][]byte{}
	EachMember(obj, func(k, v []byte) bool {
		m[Unquote(k)] = v
		return true
	})
	return m
}
