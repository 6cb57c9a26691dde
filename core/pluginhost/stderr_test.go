package pluginhost

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestStderrTail(t *testing.T) {
	t.Run("lines and partials", func(t *testing.T) {
		var tail stderrTail
		raw, synced := tail.writer(), tail.writer()
		fmt.Fprint(raw, "one\ntw")
		fmt.Fprint(synced, "from the stream\n\n")
		fmt.Fprint(raw, "o\r\nthree")
		want := []string{"one", "from the stream", "two", "three"}
		if got := tail.Lines(); !slices.Equal(got, want) {
			t.Errorf("Lines() = %q, want %q", got, want)
		}
	})
	t.Run("keeps the last lines", func(t *testing.T) {
		var tail stderrTail
		w := tail.writer()
		for i := range 50 {
			fmt.Fprintf(w, "line %d\n", i)
		}
		got := tail.Lines()
		if len(got) != stderrLines || got[0] != "line 30" || got[len(got)-1] != "line 49" {
			t.Errorf("Lines() = %q, want line 30 to line 49", got)
		}
	})
	t.Run("keeps a panic line", func(t *testing.T) {
		var tail stderrTail
		w := tail.writer()
		fmt.Fprintln(w, "panic: runtime error: index out of range")
		for i := range 40 {
			fmt.Fprintf(w, "\tframe %d\n", i)
		}
		got := tail.Lines()
		if len(got) != stderrLines || got[0] != "panic: runtime error: index out of range" || got[len(got)-1] != "\tframe 39" {
			t.Errorf("Lines() = %q, want the panic line first and the last frames", got)
		}
	})
	t.Run("caps long lines", func(t *testing.T) {
		var tail stderrTail
		fmt.Fprintln(tail.writer(), strings.Repeat("x", 5000))
		if got := tail.Lines(); len(got) != 1 || len(got[0]) != maxLineBytes {
			t.Errorf("Lines() of a 5000-byte line = %d lines of %d bytes, want 1 of %d", len(got), len(got[0]), maxLineBytes)
		}
	})
}

func TestRenderLogLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"@level":"error","@message":"cannot reach server","@module":"plugin","@timestamp":"2026-01-01T00:00:00.000000Z","url":"http://h:1","attempt":2}`,
			"ERROR: cannot reach server attempt=2 url=http://h:1"},
		{`{"@message":"hi"}`, "hi"},
		{`{"not":"a log line"}`, `{"not":"a log line"}`},
		{`{broken`, `{broken`},
		{"plain text  ", "plain text"},
	}
	for _, tt := range tests {
		if got := renderLogLine([]byte(tt.in)); got != tt.want {
			t.Errorf("renderLogLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPluginErrorMessage(t *testing.T) {
	err := &PluginError{
		Plugin: "vllm",
		Path:   "/opt/bin/imageworks-backend-vllm",
		Stderr: []string{"starting", "boom\twith a tab"},
		Err:    fmt.Errorf("%w: exited before the handshake (exit status 3)", ErrPluginCrashed),
	}
	want := `plugin vllm (/opt/bin/imageworks-backend-vllm): plugin crashed: exited before the handshake (exit status 3); last stderr line: "boom\twith a tab"`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, ErrPluginCrashed) {
		t.Errorf("errors.Is(%v, ErrPluginCrashed) = false, want true", err)
	}
	if got, want := problemText(err), `plugin crashed: exited before the handshake (exit status 3); last stderr line: "boom\twith a tab"`; got != want {
		t.Errorf("problemText() = %q, want %q", got, want)
	}
	multi := &PluginError{Plugin: "x", Err: fmt.Errorf("%w: Info: first\nsecond\r\nthird", ErrHandshake)}
	if got, want := multi.Error(), "plugin x: plugin handshake failed: Info: first; second; third"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	bare := &PluginError{Plugin: "x", Err: ErrHandshake}
	if got, want := bare.Error(), "plugin x: plugin handshake failed"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
