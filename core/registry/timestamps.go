package registry

import (
	"fmt"
	"time"
)

// ParseTimestamp reads a registry timestamp: RFC 3339 with a "Z" or a
// numeric offset such as the reference's "+00:00", with or without
// fractional seconds. The error names the value.
func ParseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q: %w", s, err)
	}
	return t, nil
}

// FormatTimestamp writes t as the core writes timestamps: RFC 3339 in UTC
// with second precision ("2025-11-06T22:32:45Z").
func FormatTimestamp(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// Now returns the registry's clock reading (Options.Now, else time.Now).
func (r *Registry) Now() time.Time { return r.opts.now() }
