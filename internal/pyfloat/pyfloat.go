// Package pyfloat writes a float64 the way Python's json.dumps does, so a
// file this tool writes matches, byte for byte, the one the earlier Python
// tool writes: json.dumps spells a float as repr(float) does.
//
// repr gives the shortest digits that read back as the same float64, in
// fixed notation when the decimal exponent is in [-4, 16) (100.0,
// 0.0001, 1000000000000000.0) and otherwise in scientific notation with a
// signed exponent of at least two digits (1e+16, 1e-05, 1.5e-07), and
// always with a ".0" or an exponent, so the value reads back as a float
// and never as an int. Infinities and NaN have no JSON spelling (Python
// writes Infinity and NaN, which no JSON parser reads); they are an error.
package pyfloat

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrNotFinite is wrapped by the error Append and Format return for an
// infinity or NaN.
var ErrNotFinite = errors.New("not representable in JSON")

// Format returns f as Python's repr(float) writes it; see the package
// comment. The error wraps ErrNotFinite for an infinity or NaN.
func Format(f float64) (string, error) {
	b, err := Append(nil, f)
	return string(b), err
}

// Append appends f to dst as Python's repr(float) writes it; see the
// package comment. For an infinity or NaN it returns dst unchanged and an
// error wrapping ErrNotFinite.
func Append(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("float %v: %w", f, ErrNotFinite)
	}
	if math.Signbit(f) {
		dst = append(dst, '-')
		f = -f
	}
	if f == 0 {
		return append(dst, "0.0"...), nil
	}
	// The shortest round-tripping digits, d[.ddd]e±dd.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	mant, exp := splitExp(e)
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	switch {
	case exp < -4 || exp >= 16:
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10), nil
	case exp >= 0:
		if len(digits) <= exp+1 {
			dst = append(dst, digits...)
			for range exp + 1 - len(digits) {
				dst = append(dst, '0')
			}
			return append(dst, ".0"...), nil
		}
		dst = append(dst, digits[:exp+1]...)
		dst = append(dst, '.')
		return append(dst, digits[exp+1:]...), nil
	default:
		dst = append(dst, "0."...)
		for range -exp - 1 {
			dst = append(dst, '0')
		}
		return append(dst, digits...), nil
	}
}

// splitExp splits strconv's 'e' form, d[.ddd]e±dd, into the mantissa and
// the decimal exponent.
func splitExp(e []byte) (mant []byte, exp int) {
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			n, _ := strconv.Atoi(string(e[i+1:])) // strconv wrote it: always an int
			return e[:i], n
		}
	}
	return e, 0
}
