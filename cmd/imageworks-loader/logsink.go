package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// newLogger is the logger core and the plugin host get: every record at
// level or above becomes one diagnostic line in the tool's own form,
//
//	imageworks-loader: [LEVEL: ][SUBSYSTEM: ]MESSAGE[: key=value ...]
//
// (a warning has no level word, as every other diagnostic), scrubbed of
// the known secrets and escaped by termText, so a record cannot add lines
// or act on the terminal. core never prints: it logs, and this decides
// what a person sees.
func newLogger(level hclog.Level, stderr io.Writer, secrets *knownSecrets) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: toolName, Level: level, Output: io.Discard})
	l.RegisterSink(&lineSink{w: stderr, level: level, secrets: secrets})
	return l
}

// lineSink writes the records of an intercept logger as diagnostic lines.
// Its Accept runs under the logger's lock: lines never interleave.
type lineSink struct {
	w       io.Writer
	level   hclog.Level
	secrets *knownSecrets
}

// Accept writes one record, when its level is shown.
func (s *lineSink) Accept(name string, level hclog.Level, msg string, args ...any) {
	if s.level == hclog.Off || level < s.level {
		return
	}
	fmt.Fprintf(s.w, "%s: %s\n", toolName, termText(s.secrets.redact(logLine(name, level, msg, args))))
}

// logLine is a record's text after the tool's name.
func logLine(name string, level hclog.Level, msg string, args []any) string {
	var b strings.Builder
	if level != hclog.Warn {
		b.WriteString(strings.ToLower(level.String()))
		b.WriteString(": ")
	}
	if sub, ok := strings.CutPrefix(name, toolName+"."); ok {
		b.WriteString(sub)
		b.WriteString(": ")
	}
	b.WriteString(msg)
	for i := 0; i < len(args); i += 2 {
		if i == 0 {
			b.WriteString(":")
		}
		key, val := fmt.Sprint(args[i]), "(missing)"
		if i+1 < len(args) {
			val = fmt.Sprint(args[i+1])
		}
		if val == "" || strings.ContainsAny(val, " \t\"=") {
			val = strconv.Quote(val)
		}
		b.WriteString(" " + key + "=" + val)
	}
	return b.String()
}
