package doc

import (
	"errors"
	"math"
	"testing"

	"github.com/imageworks-ai/loader/internal/pyfloat"
)

// Encode writes a float as Python's json.dumps does (see internal/pyfloat),
// whichever way it reaches it: a float64, a float32, or a struct field.
func TestEncodeFloatsAsPython(t *testing.T) {
	type rec struct {
		F float64 `json:"f"`
	}
	tests := []struct {
		in   any
		want string
	}{
		{1e20, "1e+20"}, {0.00001, "1e-05"}, {100.0, "100.0"}, {float32(0.5), "0.5"},
		{[]any{1e16, 1e15}, "[1e+16,1000000000000000.0]"},
		{rec{F: 1.5e-7}, `{"f":1.5e-07}`},
	}
	for _, tt := range tests {
		if got, err := Encode(tt.in); string(got) != tt.want || err != nil {
			t.Errorf("Encode(%#v) = %s, %v, want %s", tt.in, got, err, tt.want)
		}
	}
	if got, err := Encode(rec{F: math.Inf(1)}); !errors.Is(err, pyfloat.ErrNotFinite) {
		t.Errorf("Encode(+Inf) = %s, %v, want ErrNotFinite", got, err)
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
		if got := string(appendQuoted(nil, tt.in)); got != tt.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", tt.in, got, tt.want)
		}
		if u := unquote([]byte(tt.want)); u != tt.in {
			t.Errorf("unquote(%s) = %q, want %q", tt.want, u, tt.in)
		}
	}
	if got := unquote([]byte(`"\u00e9\ud83d\ude42\/"`)); got != "é🙂/" {
		t.Errorf("unquote(escapes) = %q, want é🙂/", got)
	}
}
