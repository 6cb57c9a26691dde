package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// tableWidth is the width a table's wrapped text (notes, descriptions,
// problems) is kept within: a row stays readable in a 100-column terminal.
const tableWidth = 100

// shortHashLen is how many hex characters of a SHA-256 a table shows (as
// git does); JSON always carries the full hash.
const shortHashLen = 12

// emit writes v as indented JSON, or as a table when --output table and a
// table writer is given. JSON keeps every value whole (full hashes, sizes
// in bytes); only the table shortens them.
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

// details writes, after a table's rows, one block of lines per row that
// has long text: "LABEL: TEXT" then each further text on a line of its
// own indented two spaces, every text wrapped to tableWidth with its
// continuation lines indented four. A line here has no tab, so it ends
// the rows' column block without changing their alignment. Empty texts
// are left out; nothing is written when every text is empty.
func details(w io.Writer, label string, texts ...string) {
	first := true
	for _, t := range texts {
		if t == "" {
			continue
		}
		prefix := "  "
		if first {
			prefix = termText(label) + ": "
			first = false
		}
		for i, line := range wrap(termText(t), tableWidth-len(prefix), tableWidth-4) {
			if i > 0 {
				prefix = "    "
			}
			fmt.Fprintln(w, prefix+line)
		}
	}
}

// wrap breaks s at spaces into lines of at most first bytes for the first
// line and rest for the others; a word longer than that (a URL) gets a
// line of its own, whole.
func wrap(s string, first, rest int) []string {
	var lines []string
	var cur strings.Builder
	for _, word := range strings.Fields(s) {
		width := rest
		if len(lines) == 0 {
			width = first
		}
		if cur.Len() > 0 && cur.Len()+1+len(word) > width {
			lines = append(lines, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// shortHash is the first 12 hex characters of a SHA-256 for a table, the
// whole string when it is shorter or not plain hex (a "sha256:" digest
// keeps its prefix).
func shortHash(h string) string {
	body, prefix := h, ""
	if p, rest, ok := strings.Cut(h, ":"); ok {
		prefix, body = p+":", rest
	}
	if len(body) <= shortHashLen || strings.Trim(body, "0123456789abcdefABCDEF") != "" {
		return h
	}
	return prefix + body[:shortHashLen]
}

// humanBytes writes a size in binary units with one decimal (4.4 GiB),
// whole bytes below 1 KiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// warnf writes a diagnostic line on stderr; the line passes through
// termText, so the values in it cannot act on the terminal or add lines.
func (a *App) warnf(format string, args ...any) {
	fmt.Fprintf(a.Env.Stderr, "%s: %s\n", toolName, termText(a.secrets.redact(fmt.Sprintf(format, args...))))
}
