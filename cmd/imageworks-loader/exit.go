package main

import (
	"errors"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/sdk"
)

// Exit statuses. They are decided here and nowhere else.
const (
	exitOK         = 0
	exitFailure    = 1   // unknown names, capability errors, probe failures, bad input
	exitViolation  = 2   // a version lock violation
	exitPlugin     = 3   // a plugin missing, untrusted, crashing, hanging or speaking another protocol
	exitConflict   = 4   // lock/unlock: another host changed the fleet's pin meanwhile (the local change stays)
	exitInterrupt  = 130 // stopped by SIGINT, SIGTERM, SIGHUP or SIGQUIT (128 + SIGINT, the shells' convention)
	exitBrokenPipe = 141 // stdout or stderr was a pipe whose reader went away (128 + SIGPIPE)
	exitUsage      = 80  // command-line usage errors (kong's convention)
)

// exitCoder is an error that knows its exit status (kong's parse errors do).
type exitCoder interface{ ExitCode() int }

// exitCode maps an error to the process exit status.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, artifact.ErrLockViolation):
		return exitViolation
	case errors.Is(err, fleet.ErrConflict):
		return exitConflict
	case errors.Is(err, safefile.ErrNotRegular):
		// A FIFO or other special file where a file was expected is bad
		// input, whichever part of the tool read it (even plugins.lock.json,
		// which refuses every plugin).
		return exitFailure
	case errors.As(err, new(*core.UnknownBackendError)):
		// A backend name that is no backend at all (import olama: not
		// bundled, not installed, no entry uses it) is a usage mistake like
		// an unknown model name, not a plugin problem; a known backend whose
		// plugin is missing stays exit 3.
		return exitFailure
	}
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if pluginhost.IsPluginFailure(err) {
		return exitPlugin
	}
	return exitFailure
}

// oneLine flattens an error message onto one line fit for a terminal:
// URLs redacted (sdk.RedactText), line breaks shown as "; ", and any other
// control character escaped (termText; a plugin's stderr or a server's
// answer may hold terminal escapes).
func oneLine(err error) string { return termText(flatLine(err)) }

// flatLine is oneLine before the escaping, for a caller that redacts more
// first (Main scrubs the keys it knows, then escapes).
func flatLine(err error) string { return flatText(strings.TrimSpace(err.Error())) }

// flatText is flatLine of a message.
func flatText(msg string) string {
	return strings.NewReplacer("\r\n", "; ", "\n", "; ").Replace(sdk.RedactText(msg))
}

// statusError ends a command with a status and a message, after it has
// printed its result (a probe that ran but did not see, say).
type statusError struct {
	msg  string
	code int
}

func (e *statusError) Error() string { return e.msg }

// ExitCode returns the status the process ends with.
func (e *statusError) ExitCode() int { return e.code }
