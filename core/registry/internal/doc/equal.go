package doc

import (
	"strconv"
)

// equal reports whether two valid JSON values are equal as values
// (object key order and whitespace aside; numbers compared by value).
func equal(a, b []byte) bool {
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
			if !ok || !equal(va, vb) {
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
			if !equal(ea[i], eb[i]) {
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
