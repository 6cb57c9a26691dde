package pyfloat

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// What CPython 3's repr(float) (and so json.dumps) writes for each value.
var reprTests = []struct {
	in   float64
	want string
}{
	{0, "0.0"},
	{math.Copysign(0, -1), "-0.0"},
	{1, "1.0"},
	{-2.5, "-2.5"},
	{100, "100.0"},
	{12.0, "12.0"},
	{0.1, "0.1"},
	{0.95, "0.95"},
	{0.30000000000000004, "0.30000000000000004"},
	{1.0 / 3, "0.3333333333333333"},
	{0.0001, "0.0001"},
	{0.00012, "0.00012"},
	{0.00001, "1e-05"},
	{-0.00001, "-1e-05"},
	{1.5e-7, "1.5e-07"},
	{1.234e-10, "1.234e-10"},
	{5e-324, "5e-324"},
	{2.2250738585072014e-308, "2.2250738585072014e-308"},
	{123456789.0, "123456789.0"},
	{123456789.123, "123456789.123"},
	{1729760000, "1729760000.0"},
	{1729760000.25, "1729760000.25"},
	{1729760000.123456, "1729760000.123456"},
	{1e15, "1000000000000000.0"},
	{9999999999999998, "9999999999999998.0"},
	{1e16, "1e+16"},
	{12345678901234567, "1.2345678901234568e+16"},
	{1e20, "1e+20"},
	{-1e20, "-1e+20"},
	{1.2345e20, "1.2345e+20"},
	{1e22, "1e+22"},
	{1e100, "1e+100"},
	{1e300, "1e+300"},
	{math.MaxFloat64, "1.7976931348623157e+308"},
}

func TestFormatMatchesPythonRepr(t *testing.T) {
	for _, tt := range reprTests {
		got, err := Format(tt.in)
		if got != tt.want || err != nil {
			t.Errorf("Format(%v) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
		// What Python wrote reads back as the same float.
		if back, err := strconv.ParseFloat(got, 64); err != nil || back != tt.in || math.Signbit(back) != math.Signbit(tt.in) {
			t.Errorf("ParseFloat(%q) = %v, %v, want %v", got, back, err, tt.in)
		}
	}
}

func TestAppendKeepsPrefix(t *testing.T) {
	got, err := Append([]byte("x: "), 1e-05)
	if string(got) != "x: 1e-05" || err != nil {
		t.Errorf("Append(%q, 1e-05) = %q, %v, want %q", "x: ", got, err, "x: 1e-05")
	}
}

func TestNotFinite(t *testing.T) {
	for _, f := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		got, err := Append([]byte("k"), f)
		if !errors.Is(err, ErrNotFinite) || string(got) != "k" {
			t.Errorf("Append(%q, %v) = %q, %v, want %q and ErrNotFinite", "k", f, got, err, "k")
		}
	}
}

// FuzzFormat: every finite float is written in one of repr's two forms and
// reads back as itself.
func FuzzFormat(f *testing.F) {
	for _, tt := range reprTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in float64) {
		s, err := Format(in)
		if math.IsNaN(in) || math.IsInf(in, 0) {
			if !errors.Is(err, ErrNotFinite) {
				t.Fatalf("Format(%v) = %q, %v, want ErrNotFinite", in, s, err)
			}
			return
		}
		back, perr := strconv.ParseFloat(s, 64)
		if err != nil || perr != nil || back != in {
			t.Fatalf("Format(%v) = %q, %v; reads back as %v, %v", in, s, err, back, perr)
		}
		if !strings.ContainsAny(s, ".e") {
			t.Fatalf("Format(%v) = %q, reads as an int", in, s)
		}
	})
}
