package doc

import (
	"fmt"
	"testing"
)

// scanArray's errors at the top level, with their offsets, and the records
// it finds; the layout between elements does not make a record
// non-canonical.
func TestScanArrayTop(t *testing.T) {
	tests := []struct {
		in   string
		want string // the error as "off: msg", or the records as [raw canon ...]
	}{
		{``, `0: unexpected end of file`},
		{`{}`, `0: registry file must hold a JSON array, found '{'`},
		{"[", `1: unexpected end of file`},
		{"[]", `[]`},
		{"[1", `2: unexpected end of file`},
		{"[1 2]", `3: expected ',' or ']' after array element, found '2'`},
		{"[1\x01]", `2: expected ',' or ']' after array element, found byte 0x01`},
		{"[1,", `3: unexpected end of file`},
		{"[1, ", `4: unexpected end of file`},
		{"[1] x", `4: unexpected 'x' after the top-level array`},
		{"[1,2] ", `[1 true 2 true]`},
		{"[\n  {\n    \"a\": 1\n  } ,  {\n    \"b\": 2\n  }\n]", "[{\n    \"a\": 1\n  } true {\n    \"b\": 2\n  } true]"},
	}
	for _, tt := range tests {
		var got []any
		err := scanArray([]byte(tt.in), func(r Record) { got = append(got, string(r.raw), r.canon) })
		s := fmt.Sprint(got)
		if err != nil {
			s = fmt.Sprintf("%d: %s", err.Off, err.Msg)
		}
		if s != tt.want {
			t.Errorf("scanArray(%q) = %s, want %s", tt.in, s, tt.want)
		}
	}
}
