package pluginhost

import (
	"strings"
	"testing"
)

func TestSocketBase(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 80)
	for tmp, want := range map[string]string{
		"/tmp":     "/tmp",
		"/var/tmp": "/var/tmp",
		long:       "/tmp",
	} {
		if got := socketBase(tmp); got != want {
			t.Errorf("socketBase(%q) = %q, want %q", tmp, got, want)
		}
	}
}
