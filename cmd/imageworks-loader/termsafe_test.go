package main

import (
	"bytes"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestTermText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain: llava:7b", "plain: llava:7b"},
		{"\x1b]0;pwned\x07title", `\x1b]0;pwned\atitle`},
		{"\x1b[2Jclear", `\x1b[2Jclear`},
		{"row\nforged\tcell\r", `row\nforged\tcell\r`},
		{"nul\x00 del\x7f csi\u009b", `nul\x00 del\x7f csi\u009b`},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"bad\xffbyte", `bad\xffbyte`},
		{"ünïcödé 模型", "ünïcödé 模型"},
	}
	for _, tt := range tests {
		if got := termText(tt.in); got != tt.want {
			t.Errorf("termText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTermLines(t *testing.T) {
	var buf bytes.Buffer
	w := termLines{&buf, &knownSecrets{keys: []sdk.Secret{"K3Y"}}}
	in := "2026 [WARN] plugin said: \x1b[31mred\x1b[0m\n2026 [WARN] second Bearer K3Y\r\n"
	if n, err := w.Write([]byte(in)); n != len(in) || err != nil {
		t.Fatalf("Write() = %d, %v", n, err)
	}
	if got, want := buf.String(), "2026 [WARN] plugin said: \\x1b[31mred\\x1b[0m\n2026 [WARN] second Bearer xxxxx\\r\n"; got != want {
		t.Errorf("termLines wrote %q, want %q", got, want)
	}
}

func TestRowEscapes(t *testing.T) {
	var buf bytes.Buffer
	row(&buf, "a\nb", "\x1b[2J", []string{"x\ty"}, "")
	if got, want := buf.String(), "a\\nb\t\\x1b[2J\tx\\ty\t-\n"; got != want {
		t.Errorf("row() wrote %q, want %q", got, want)
	}
}
