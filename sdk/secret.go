package sdk

import (
	"fmt"
	"log/slog"
)

// Secret is a credential, such as a server's API key. It prints, logs and
// encodes as "[redacted]" (or "" when empty) however it is formatted: fmt
// verbs including %v, %+v, %#v, %s, %q and %x, slog and hclog attributes,
// and JSON. Only Reveal returns the value; call it where the credential is
// sent, and nowhere else.
type Secret string

// redacted is what a non-empty Secret shows instead of its value.
const redacted = "[redacted]"

// Reveal returns the credential itself, for the one place that sends it
// (an Authorization header). Never log or print its result.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]", or "" when the secret is empty.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns what String returns, quoted, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.String()) }

// Format writes what String returns for every verb, so that no verb (%x,
// %q, %d, ...) shows the value.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q' || (verb == 'v' && f.Flag('#')):
		fmt.Fprintf(f, "%q", s.String())
	default:
		fmt.Fprint(f, s.String())
	}
}

// LogValue returns the redacted form for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes the redacted form as a JSON string. It never fails.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.String() + `"`), nil
}

// MarshalText returns the redacted form, for encoders that use
// encoding.TextMarshaler (map keys, XML, YAML). It never fails.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
