package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// emit writes v as indented JSON, or as a table when --output table and a
// table writer is given.
func (a *App) emit(v any, table func(w io.Writer)) error {
	if a.Globals.Output == "table" && table != nil {
		tw := tabwriter.NewWriter(a.Env.Stdout, 0, 4, 2, ' ', 0)
		table(tw)
		return tw.Flush()
	}
	enc := json.NewEncoder(a.Env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// row writes one tab-separated table row.
func row(w io.Writer, cells ...any) {
	parts := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case []string:
			parts[i] = strings.Join(v, ",")
		default:
			parts[i] = fmt.Sprint(v)
		}
		if parts[i] == "" {
			parts[i] = "-"
		}
		parts[i] = termText(parts[i])
	}
	fmt.Fprintln(w, strings.Join(parts, "\t"))
}

// warnf writes a diagnostic line on stderr; the line passes through
// termText, so the values in it cannot act on the terminal or add lines.
func (a *App) warnf(format string, args ...any) {
	fmt.Fprintf(a.Env.Stderr, "%s: %s\n", toolName, termText(a.secrets.redact(fmt.Sprintf(format, args...))))
}
