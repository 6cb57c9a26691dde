package main

import (
	"bytes"
	"testing"

	"github.com/hashicorp/go-hclog"

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

func TestLoggerLines(t *testing.T) {
	var buf bytes.Buffer
	log := newLogger(hclog.Warn, &buf, &knownSecrets{keys: []sdk.Secret{"K3Y"}})
	log.Named("plugins").Warn("plugin said: \x1b[31mred\x1b[0m", "line", "two\nlines")
	log.Error("second Bearer K3Y", "n", 2)
	log.Info("not shown at warn")
	want := "imageworks-loader: plugins: plugin said: \\x1b[31mred\\x1b[0m: line=two\\nlines\n" +
		"imageworks-loader: error: second Bearer xxxxx: n=2\n"
	if got := buf.String(); got != want {
		t.Errorf("logger wrote %q, want %q", got, want)
	}
}

func TestRowEscapes(t *testing.T) {
	var buf bytes.Buffer
	row(&buf, "a\nb", "\x1b[2J", []string{"x\ty"}, "")
	if got, want := buf.String(), "a\\nb\t\\x1b[2J\tx\\ty\t-\n"; got != want {
		t.Errorf("row() wrote %q, want %q", got, want)
	}
}
