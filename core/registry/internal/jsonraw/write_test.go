package jsonraw

import (
	"testing"
)

// Python's repr of the same floats (computed with CPython 3).
func TestPyFloat(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {0.95, "0.95"}, {12.0, "12.0"},
		{1e-05, "1e-05"}, {0.0001, "0.0001"}, {1.5e-7, "1.5e-07"}, {123456789.0, "123456789.0"},
		{1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {1.2345e20, "1.2345e+20"},
		{0.30000000000000004, "0.30000000000000004"}, {1e300, "1e+300"}, {5e-324, "5e-324"},
	}
	for _, tt := range tests {
		if got, err := PyFloat(tt.in); got != tt.want || err != nil {
			t.Errorf("PyFloat(%v) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestAppendQuoted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{"é ü 漢 🙂", `"é ü 漢 🙂"`},
		{"<a&b>", `"<a&b>"`},
		{"q\"b\\s", `"q\"b\\s"`},
		{"\n\r\t\b\f\x01\x1f\x7f", `"\n\r\t\b\f\u0001\u001f` + "\x7f" + `"`},
		{"\u2028", "\"\u2028\""},
	}
	for _, tt := range tests {
		if got := string(AppendQuoted(nil, tt.in)); got != tt.want {
			t.Errorf("AppendQuoted(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if u := Unquote([]byte(tt.want)); u != tt.in {
			t.Errorf("Unquote(%s) = %q, want %q", tt.want, u, tt.in)
		}
	}
	if got := Unquote([]byte(`"\u00e9\ud83d\ude42\/"`)); got != "é🙂/" {
		t.Errorf("Unquote(escapes) = %q, want é🙂/", got)
	}
}
