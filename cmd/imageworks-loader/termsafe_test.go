package main

import (
	"bytes"
	"strings"
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

func TestDetailsWraps(t *testing.T) {
	var buf bytes.Buffer
	long := strings.Repeat("word ", 60) + "http://" + strings.Repeat("x", 120)
	details(&buf, "label", long, "", "second\x1b[2J")
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "label: word") {
		t.Errorf("details() first line = %q, want it to start with the label", lines[0])
	}
	for _, l := range lines {
		if len(l) > tableWidth && !strings.Contains(l, "http://") {
			t.Errorf("details() wrote a line of %d bytes, want at most %d: %q", len(l), tableWidth, l)
		}
	}
	if got := lines[len(lines)-2]; got != "    http://"+strings.Repeat("x", 120) {
		t.Errorf("details() = %q, want the URL whole on a line of its own", got)
	}
	if got, want := lines[len(lines)-1], `  second\x1b[2J`; got != want {
		t.Errorf("details() last line = %q, want %q", got, want)
	}
}

func TestHumanBytesAndShortHash(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 4683075271: "4.4 GiB", 3 << 40: "3.0 TiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
	full := "966f88f1b512256ea45fefab54de413121f7a6a1141b56b2b215ffa09127725d"
	for in, want := range map[string]string{full: "966f88f1b512", "sha256:" + full: "sha256:966f88f1b512", "": "", "not-a-hash-but-long-enough": "not-a-hash-but-long-enough"} {
		if got := shortHash(in); got != want {
			t.Errorf("shortHash(%q) = %q, want %q", in, got, want)
		}
	}
}
