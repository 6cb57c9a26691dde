package openai

import (
	"net"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// Endpoint returns the OpenAI-compatible base URL a client uses for an entry
// whose backend listens on defaultPort when the entry names no port. The
// rules, in order:
//
//  1. cfg.BaseURL, trimmed of spaces, without trailing slashes;
//  2. else cfg.Host (trimmed) when it starts with http:// or https://, used
//     as is without trailing slashes;
//  3. else http://{host or localhost}:{port or defaultPort}/v1 (an IPv6
//     address host is bracketed).
//
// It does no I/O and never fails.
func Endpoint(cfg sdk.BackendConfig, defaultPort int) string {
	if u := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/"); u != "" {
		return u
	}
	host := strings.TrimSpace(cfg.Host)
	if hasHTTPScheme(host) {
		return strings.TrimRight(host, "/")
	}
	if host == "" {
		host = "localhost"
	}
	port := cfg.Port
	if port <= 0 {
		port = defaultPort
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.To4() == nil {
		host = "[" + ip.String() + "]"
	}
	return "http://" + host + ":" + strconv.Itoa(port) + "/v1"
}

func hasHTTPScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// ModelID returns the id a client sends as "model" for an entry: its
// served_model_id (trimmed) when set, else its logical name.
func ModelID(e sdk.Entry) string {
	if id := strings.TrimSpace(e.ServedModelID); id != "" {
		return id
	}
	return e.Name
}

// ServerRoot returns the server's root URL for an OpenAI-compatible base URL:
// the endpoint without trailing slashes and without a final "/v1". Health
// and version routes (/health, /version, Ollama's /api/...) live there.
func ServerRoot(endpoint string) string {
	u := strings.TrimRight(strings.TrimSpace(endpoint), "/")
	if strings.HasSuffix(strings.ToLower(u), "/v1") {
		u = u[:len(u)-len("/v1")]
	}
	return u
}
