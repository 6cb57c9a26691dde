package pluginhost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// stderrLines is how many of a plugin's last stderr lines a PluginError
// carries.
const stderrLines = 20

// maxLineBytes caps one kept stderr line.
const maxLineBytes = 1024

// stderrTail keeps the last lines a plugin wrote to stderr. It is fed by
// line writers, one per source: go-plugin copies the process's stderr
// (until the handshake, and whatever bypasses the plugin's redirection) and
// the plugin's redirected os.Stderr, which travels over gRPC.
type stderrTail struct {
	mu      sync.Mutex
	lines   []string // ring buffer, oldest at next once full
	next    int
	writers []*lineWriter
	// crash is the first "panic: " or "fatal error: " line, kept even once
	// the stack trace after it has pushed it out of the ring.
	crash string
}

// writer returns a new io.Writer splitting its input into lines for t.
func (t *stderrTail) writer() io.Writer {
	w := &lineWriter{t: t}
	t.mu.Lock()
	t.writers = append(t.writers, w)
	t.mu.Unlock()
	return w
}

// lineWriter is one source of a stderrTail; partial is its unfinished line.
type lineWriter struct {
	t       *stderrTail
	partial []byte
}

// Write splits p into lines for the tail, keeping an unfinished line for
// the next Write; it never fails.
func (w *lineWriter) Write(p []byte) (int, error) {
	t := w.t
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.appendPartial(p)
			break
		}
		w.appendPartial(p[:i])
		t.push(renderLogLine(w.partial))
		w.partial = w.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) appendPartial(p []byte) {
	room := maxLineBytes - len(w.partial)
	if room <= 0 {
		return
	}
	w.partial = append(w.partial, p[:min(room, len(p))]...)
}

func (t *stderrTail) push(line string) {
	if line == "" {
		return
	}
	if t.crash == "" && (strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")) {
		t.crash = line
	}
	if len(t.lines) < stderrLines {
		t.lines = append(t.lines, line)
		return
	}
	t.lines[t.next] = line
	t.next = (t.next + 1) % stderrLines
}

// Lines returns the kept lines, oldest first, then any unterminated
// lines.
func (t *stderrTail) Lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.lines)+len(t.writers))
	out = append(out, t.lines[t.next:]...)
	out = append(out, t.lines[:t.next]...)
	for _, w := range t.writers {
		if len(w.partial) > 0 {
			out = append(out, renderLogLine(w.partial))
		}
	}
	if len(out) > stderrLines {
		out = out[len(out)-stderrLines:]
	}
	if t.crash != "" && !slices.Contains(out, t.crash) {
		out = append([]string{t.crash, "..."}, out[min(2, len(out)):]...)
	}
	return out
}

// renderLogLine turns a JSON hclog line (as sdk.Serve writes) into
// "LEVEL: message key=value ..." with keys sorted; any other line is
// returned trimmed.
func renderLogLine(line []byte) string {
	s := strings.TrimRight(string(line), "\r \t")
	if !strings.HasPrefix(s, "{") {
		return s
	}
	var m map[string]any
	if json.Unmarshal([]byte(s), &m) != nil {
		return s
	}
	msg, ok := m["@message"].(string)
	if !ok {
		return s
	}
	level, _ := m["@level"].(string)
	var keys []string
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	if level != "" {
		b.WriteString(strings.ToUpper(level))
		b.WriteString(": ")
	}
	b.WriteString(msg)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m[k])
	}
	return b.String()
}
