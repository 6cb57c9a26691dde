package pluginhost

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors, matched with errors.Is. Failures of a plugin process come
// back as *PluginError wrapping one of them.
var (
	// ErrPluginNotFound: no executable imageworks-backend-NAME in any
	// folder searched. The error is a *NotFoundError.
	ErrPluginNotFound = errors.New("plugin not found")
	// ErrPluginUntrusted: plugins.lock.json exists and does not list the
	// binary, or lists another SHA-256 for it. The binary was not run.
	ErrPluginUntrusted = errors.New("plugin not trusted")
	// ErrPluginCrashed: the plugin process exited (before the handshake or
	// during a call).
	ErrPluginCrashed = errors.New("plugin crashed")
	// ErrPluginTimeout: the plugin did not complete its start (handshake
	// and Info) within the start timeout, or a call ran past its deadline.
	// The plugin's process group has been killed.
	ErrPluginTimeout = errors.New("plugin timed out")
	// ErrHandshake: the plugin printed something other than a valid
	// go-plugin handshake, or spoke an unsupported protocol.
	ErrHandshake = errors.New("plugin handshake failed")
	// ErrNameMismatch: the plugin's Info name differs from the NAME in its
	// file name imageworks-backend-NAME.
	ErrNameMismatch = errors.New("plugin name mismatch")
	// ErrPluginProtocol: the plugin speaks only protocol versions this host
	// does not (a plugin too old or too new for this loader). Such an error
	// also matches ErrHandshake.
	ErrPluginProtocol = errors.New("plugin protocol not supported")
	// ErrHostClosed: the Host was closed; it starts no more plugins.
	ErrHostClosed = errors.New("plugin host closed")
)

// IsPluginFailure reports whether err says a plugin could not be used: not
// found, not trusted, crashed, timed out, failed its handshake, misnamed
// itself, or speaks another protocol. A caller's cancellation, the host
// being closed, and the errors a plugin returns from its calls are not.
func IsPluginFailure(err error) bool {
	for _, target := range []error{ErrPluginNotFound, ErrPluginUntrusted, ErrPluginCrashed, ErrPluginTimeout, ErrHandshake, ErrNameMismatch, ErrPluginProtocol} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// PluginError is a failure of one plugin process: it could not be trusted,
// started or reached, crashed, or timed out. Err wraps one of the sentinels
// above (or a context error when the caller cancelled).
type PluginError struct {
	// Plugin is the backend name (the NAME in imageworks-backend-NAME).
	Plugin string
	// Path is the executable, or "" for a plugin reattached through
	// IMAGEWORKS_REATTACH_BACKENDS.
	Path string
	// Stderr holds the plugin's last stderr lines, oldest first (JSON log
	// lines rendered as "LEVEL: message key=value").
	Stderr []string
	// Err is what went wrong: it wraps one of the sentinels above, or the
	// caller's context error, and often the underlying cause too.
	Err error
}

// Error returns one line naming the plugin, what went wrong and the last
// stderr line, if any.
func (e *PluginError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %s", e.Plugin)
	if e.Path != "" {
		fmt.Fprintf(&b, " (%s)", e.Path)
	}
	b.WriteString(": ")
	b.WriteString(e.detail())
	return b.String()
}

// detail is the message without the plugin's name and path.
func (e *PluginError) detail() string {
	var b strings.Builder
	msg := fmt.Sprint(e.Err)
	if strings.ContainsAny(msg, "\r\n") { // keep the message on one line
		msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	}
	b.WriteString(msg)
	if n := len(e.Stderr); n > 0 {
		last := e.Stderr[n-1]
		if len(last) > 200 {
			last = last[:200] + "..."
		}
		fmt.Fprintf(&b, "; last stderr line: %q", last)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *PluginError) Unwrap() error { return e.Err }

// NotFoundError says that no executable for a backend was found. It matches
// ErrPluginNotFound with errors.Is.
type NotFoundError struct {
	// Name is the backend name.
	Name string
	// Executable is the file name looked for: imageworks-backend-NAME.
	Executable string
	// Searched lists every folder looked in, in search order.
	Searched []string
	// Reason is set when Name itself is not a valid backend name.
	Reason string
}

// Error names the executable and every folder searched.
func (e *NotFoundError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("plugin %q not found: %s", e.Name, e.Reason)
	}
	where := "no plugin folders exist"
	if len(e.Searched) > 0 {
		where = "looked in " + strings.Join(e.Searched, ", ")
	}
	return fmt.Sprintf("plugin %s not found (%s; add a folder with --plugin-dir or IMAGEWORKS_PLUGIN_PATH)", e.Executable, where)
}

// Is reports whether target is ErrPluginNotFound.
func (e *NotFoundError) Is(target error) bool { return target == ErrPluginNotFound }
