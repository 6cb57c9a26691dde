package core

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Error layers. A backend's error says what it did and what only it knows
// (the request, "GET http://host:8000/v1/models: server unavailable: ...",
// the served model id); it names neither itself nor the call. core adds
// what the backend cannot know: the call, the backend's name, the entry,
// and the server only when the backend's message does not already name it,
// so no word is said twice along the chain. Sentinels travel through %w.

// atServer is " at ENDPOINT" (shown: the endpoint, redacted), or "" when
// err's message already names that server (its scheme, host and port).
func atServer(err error, shown string) string {
	if u, perr := url.Parse(shown); perr == nil && u.Host != "" && strings.Contains(err.Error(), u.Scheme+"://"+u.Host) {
		return ""
	}
	return " at " + shown
}

// activating wraps err, an activation's failure, with the entry's name
// unless err's message already quotes it (supervise's errors do: "server
// for "m" on port 24001 exited with status 1").
func activating(name string, err error) error {
	if strings.Contains(err.Error(), strconv.Quote(name)) {
		return err
	}
	return fmt.Errorf("activating %q: %w", name, err)
}
