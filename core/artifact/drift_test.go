package artifact

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	a, b, c := sumHex("a"), sumHex("b"), sumHex("c")
	tests := []struct {
		name             string
		expected, actual []File
		want             Drift
	}{
		{"identical", []File{{"x", a}, {"y", b}}, []File{{"y", b}, {"x", a}}, Drift{}},
		{"both empty", nil, nil, Drift{}},
		{"changed", []File{{"weights.bin", a}, {"config.json", b}}, []File{{"config.json", b}, {"weights.bin", c}},
			Drift{Changed: []string{"weights.bin"}}},
		{"missing", []File{{"b", a}, {"a", b}, {"c", c}}, []File{{"c", c}},
			Drift{Missing: []string{"a", "b"}}},
		{"added", []File{{"a", a}}, []File{{"logs/z.log", c}, {"a", a}, {"logs/y.log", b}},
			Drift{Added: []string{"logs/y.log", "logs/z.log"}}},
		{"all three", []File{{"keep", a}, {"edit", a}, {"gone", b}}, []File{{"new", c}, {"edit", b}, {"keep", a}},
			Drift{Changed: []string{"edit"}, Missing: []string{"gone"}, Added: []string{"new"}}},
		{"everything gone", []File{{"a", a}}, nil, Drift{Missing: []string{"a"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.expected, tt.actual)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff(%v, %v) = %+v, want %+v", tt.expected, tt.actual, got, tt.want)
			}
			if got.Empty() != (len(tt.want.Changed)+len(tt.want.Missing)+len(tt.want.Added) == 0) {
				t.Errorf("Diff(%v, %v).Empty() = %v", tt.expected, tt.actual, got.Empty())
			}
		})
	}
}

func TestDriftString(t *testing.T) {
	d := Drift{Changed: []string{"weights.bin"}, Missing: []string{"a.json", "b.json"}, Added: []string{"logs/x.log"}}
	want := "changed: weights.bin; missing: a.json, b.json; added: logs/x.log"
	if got := d.String(); got != want {
		t.Errorf("Drift.String() = %q, want %q", got, want)
	}
	if got := (Drift{}).String(); got != "" {
		t.Errorf("Drift{}.String() = %q, want \"\"", got)
	}
	many := make([]string, 25)
	for i := range many {
		many[i] = string(rune('a' + i))
	}
	got := Drift{Added: many}.String()
	if !strings.HasSuffix(got, "t, and 5 more") || strings.Contains(got, "u,") {
		t.Errorf("Drift{25 added}.String() = %q, want 20 names then \"and 5 more\"", got)
	}
}

func TestLockViolationError(t *testing.T) {
	exp, act := sumHex("old"), sumHex("new")
	err := error(&LockViolationError{Entry: "demo model", Expected: exp, Actual: act,
		Drift: Drift{Changed: []string{"weights.bin"}, Added: []string{"logs/run.log"}}})
	msg := err.Error()
	for _, want := range []string{`"demo model"`, exp, act, "changed: weights.bin", "added: logs/run.log"} {
		if !strings.Contains(msg, want) {
			t.Errorf("LockViolationError.Error() = %q, want it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("LockViolationError.Error() = %q, want one line", msg)
	}
	if !errors.Is(err, ErrLockViolation) {
		t.Errorf("errors.Is(%v, ErrLockViolation) = false, want true", err)
	}
	wrapped := error(&LockViolationError{Entry: "m", Expected: exp, Err: &MissingFilesError{Root: "/m", Paths: []string{"a"}}})
	var lv *LockViolationError
	if !errors.Is(wrapped, ErrLockViolation) || !errors.Is(wrapped, ErrArtifactsMissing) || !errors.As(wrapped, &lv) {
		t.Errorf("LockViolationError with Err = %v, want it to match ErrLockViolation and ErrArtifactsMissing", wrapped)
	}
	if msg := wrapped.Error(); !strings.Contains(msg, "could not be hashed") || !strings.Contains(msg, "a") {
		t.Errorf("LockViolationError{no actual}.Error() = %q, want \"could not be hashed\" and the missing file", msg)
	}
}
