package ollama

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Environment variables the backend reads, the ollama CLI's own.
const (
	// EnvHost is where the ollama CLI finds the server; see HostURL.
	EnvHost = "OLLAMA_HOST"
	// EnvModels is the server's model store (default ~/.ollama/models).
	EnvModels = "OLLAMA_MODELS"
)

// envVar reads an environment variable the way Ollama does (envconfig.Var):
// spaces, then surrounding double or single quotes, are trimmed.
func (b *Backend) envVar(key string) string {
	return strings.Trim(strings.TrimSpace(b.getenv(key)), `"'`)
}

// HostURL parses an OLLAMA_HOST value the way the ollama CLI does
// (envconfig.Host of Ollama 0.17): "host", "host:port", ":port",
// "[::1]:port", or "scheme://host[:port][/path]". Without a scheme the
// scheme is http and the port 11434; "http://host" means port 80 and
// "https://host" port 443; a bare "ollama.com" means https://ollama.com:443.
// An empty value is the default http://127.0.0.1:11434. A port that is not
// a number in 0..65535 is replaced by the default, and warning says so (as
// Ollama's own log does); warning is "" otherwise.
//
// Unlike Ollama's client, which dials whatever the server binds, a missing
// host or a bind-all address (0.0.0.0, ::) becomes this machine's loopback
// (127.0.0.1, ::1), so that the URL is one any client can reach.
func HostURL(value string) (u *url.URL, warning string) {
	defaultPort := strconv.Itoa(DefaultPort)
	s := strings.Trim(strings.TrimSpace(value), `"'`)
	s = strings.TrimSpace(s)
	scheme, hostport, ok := strings.Cut(s, "://")
	switch {
	case !ok:
		scheme, hostport = "http", s
		if s == "ollama.com" {
			scheme, hostport = "https", "ollama.com:443"
		}
	case scheme == "http":
		defaultPort = "80"
	case scheme == "https":
		defaultPort = "443"
	}
	hostport, path, _ := strings.Cut(hostport, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = "127.0.0.1", defaultPort
		if ip := net.ParseIP(strings.Trim(hostport, "[]")); ip != nil {
			host = ip.String()
		} else if hostport != "" {
			host = hostport
		}
	}
	if n, err := strconv.ParseInt(port, 10, 32); err != nil || n < 0 || n > 65535 {
		warning = fmt.Sprintf("%s=%q: port %q is not a port number, using %s as the ollama CLI does", EnvHost, value, port, defaultPort)
		port = defaultPort
	}
	switch ip := net.ParseIP(host); {
	case host == "":
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified() && ip.To4() != nil:
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	u = &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
	if path != "" {
		u.Path = "/" + path
	}
	return u, warning
}

// hasEndpoint reports whether the entry says where its server is.
func hasEndpoint(c sdk.BackendConfig) bool {
	return strings.TrimSpace(c.BaseURL) != "" || strings.TrimSpace(c.Host) != "" || c.Port > 0
}

// endpoint returns the OpenAI-compatible base URL for an entry's config and
// the note saying where it came from: the registry's endpoint rules when
// the entry has base_url, host or port; else OLLAMA_HOST, when set; else
// the registry's default (port 11434 on localhost).
func (b *Backend) endpoint(c sdk.BackendConfig) (string, []string) {
	if v := b.envVar(EnvHost); v != "" && !hasEndpoint(c) {
		u, warning := HostURL(v)
		notes := []string{fmt.Sprintf("endpoint from %s=%s (the entry has no base_url, host or port)", EnvHost, v)}
		if warning != "" {
			notes = append(notes, warning)
		}
		return strings.TrimRight(u.String(), "/") + "/v1", notes
	}
	return openai.Endpoint(c, DefaultPort), nil
}

// storeSource says where a model store came from, for error messages.
type storeSource int

const (
	storeFromEntry storeSource = iota // backend_config.ollama_models
	storeFromEnv                      // OLLAMA_MODELS
	storeDefault                      // ~/.ollama/models
)

// modelStore is the model store an entry's files are looked up in.
type modelStore struct {
	dir    string
	source storeSource
}

// how says where the store came from and how to point it elsewhere.
func (s modelStore) how() string {
	switch s.source {
	case storeFromEntry:
		return "the store named by the entry's backend_config.ollama_models; change that field to the store of the Ollama server's process"
	case storeFromEnv:
		return "the store named by " + EnvModels + "; set backend_config.ollama_models on the entry, or " + EnvModels + ", to the store of the Ollama server's process"
	}
	return "the default store ~/.ollama/models (" + EnvModels + " is unset); set backend_config.ollama_models on the entry, or " + EnvModels + ", to the store of the Ollama server's process"
}

// entryStore returns the store named by the entry's
// backend_config.ollama_models, or ok false when it names none. The value
// must be an absolute path or start with "~/" (the home directory).
func (b *Backend) entryStore(e sdk.Entry) (dir string, ok bool, err error) {
	raw, ok := e.Lookup("backend_config", "ollama_models")
	if !ok {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false, fmt.Errorf("backend_config.ollama_models is %s, want a string: %w", raw, sdk.ErrBadRequest)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", false, nil
	case s == "~" || strings.HasPrefix(s, "~/"):
		home, err := b.homeDir()
		if err != nil {
			return "", false, fmt.Errorf("backend_config.ollama_models %q: finding the home directory: %w", s, err)
		}
		return filepath.Join(home, strings.TrimPrefix(s[1:], "/")), true, nil
	case !filepath.IsAbs(s):
		return "", false, fmt.Errorf("backend_config.ollama_models %q is not an absolute path: %w", s, sdk.ErrBadRequest)
	}
	return filepath.Clean(s), true, nil
}

// storeFor returns the model store of an entry: its
// backend_config.ollama_models, else OLLAMA_MODELS, else ~/.ollama/models.
func (b *Backend) storeFor(e sdk.Entry) (modelStore, error) {
	dir, ok, err := b.entryStore(e)
	if err != nil {
		return modelStore{}, err
	}
	if ok {
		return modelStore{dir: dir, source: storeFromEntry}, nil
	}
	source := storeDefault
	if b.envVar(EnvModels) != "" {
		source = storeFromEnv
	}
	dir, err = b.ModelsDir()
	return modelStore{dir: dir, source: source}, err
}
