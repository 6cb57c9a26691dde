package core

import (
	"net/url"
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
