package registry

import (
	"errors"
	"testing"
)

// A malformed new record is ErrInvalidEdit with a message saying what is
// wrong; records the package builds itself are scanned with the same
// errors.
func TestRecordScanErrors(t *testing.T) {
	tests := []struct {
		rec, want string
		scan      bool // a scan failure, which parseRecord reports too
	}{
		{`[]`, "invalid edit: a record must be a JSON object", true},
		{`{"name":"x"`, "invalid edit: record at offset 11: unexpected end of file", true},
		{`{"name":"x"} x`, "invalid edit: data after the record", true},
		{`{"backend":"x"}`, `invalid edit: a record needs a non-empty string "name"`, false},
	}
	for _, tt := range tests {
		_, _, err := normalizeRecord([]byte(tt.rec))
		if !errors.Is(err, ErrInvalidEdit) || err.Error() != tt.want {
			t.Errorf("normalizeRecord(%s) = %v, want ErrInvalidEdit saying %q", tt.rec, err, tt.want)
		}
		if !tt.scan {
			continue
		}
		if _, err := parseRecord([]byte(tt.rec)); !errors.Is(err, ErrInvalidEdit) {
			t.Errorf("parseRecord(%s) = %v, want ErrInvalidEdit", tt.rec, err)
		}
	}
}
