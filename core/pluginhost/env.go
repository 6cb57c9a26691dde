package pluginhost

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Default timeouts.
const (
	// DefaultStartTimeout bounds a plugin's start (launch, handshake and
	// Info) unless Options.StartTimeout or EnvStartTimeout says otherwise.
	DefaultStartTimeout = 10 * time.Second
	// DefaultCallTimeout is the deadline of a call to a plugin unless
	// Options.CallTimeout says otherwise.
	DefaultCallTimeout = 30 * time.Second
	// probeGrace is added to a ProbeVision request's own Timeout for the
	// call's deadline; defaultProbeTimeout applies when it has none.
	probeGrace          = 5 * time.Second
	defaultProbeTimeout = 2 * time.Minute
)

// pluginEnv filters environ (KEY=VALUE strings) down to the allow-list, so
// that host secrets (API keys, tokens, cloud credentials) never reach a
// plugin. API keys reach plugins only per call, in the request. The result
// keeps environ's order; later duplicates win as in exec.
func pluginEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if allowedEnvName(k) {
			out = append(out, kv)
		}
	}
	return out
}

// allowedEnvName reports whether variable k passes the allow-list: a few
// names exactly, and names that start with LC_, XDG_ or IMAGEWORKS_PLUGIN_
// (IMAGEWORKS_PLUGIN_ is how a user configures plugins; no other
// IMAGEWORKS_ variable is passed). docs/threat-model.md lists them too.
func allowedEnvName(k string) bool {
	switch k {
	case "PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "LANG", "LC_ALL", "TZ",
		"OLLAMA_MODELS", "OLLAMA_HOST",
		"SSL_CERT_FILE", "SSL_CERT_DIR",
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
		// Windows needs these to start a process and open sockets.
		"SYSTEMROOT", "SystemRoot", "WINDIR", "COMSPEC", "PATHEXT", "TEMP", "TMP",
		"USERPROFILE", "APPDATA", "LOCALAPPDATA", "PROGRAMDATA":
		return true
	}
	for _, p := range [...]string{"LC_", "XDG_", "IMAGEWORKS_PLUGIN_"} {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			return true
		}
	}
	return false
}

// parseStartTimeout reads IMAGEWORKS_PLUGIN_START_TIMEOUT: a Go duration
// ("1500ms", "5s") or a number of seconds ("5", "2.5"). It must be positive.
func parseStartTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return 0, fmt.Errorf("%s=%q: must be positive", EnvStartTimeout, s)
		}
		return d, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 24*3600 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 5s or a number of seconds", EnvStartTimeout, s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseBoolEnv reports whether an on/off variable is on: 1, true, yes, on.
func parseBoolEnv(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
