package main

import (
	"errors"
	"strings"
	"unicode"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// Exit statuses. They are decided here and nowhere else.
const (
	exitOK        = 0
	exitFailure   = 1   // unknown names, capability errors, probe failures, bad input
	exitViolation = 2   // a version lock violation
	exitPlugin    = 3   // a plugin missing, untrusted, crashing, hanging or speaking another protocol
	exitInterrupt = 130 // stopped by SIGINT or SIGTERM (128 + SIGINT, the shells' convention)
	exitUsage     = 80  // command-line usage errors (kong's convention)
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
	case errors.Is(err, safefile.ErrNotRegular):
		// A FIFO or other special file where a file was expected is bad
		// input, whichever part of the tool read it (even plugins.lock.json,
		// which refuses every plugin).
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

// oneLine flattens an error message onto one line, with any other control
// character (a plugin's stderr may hold terminal escapes) shown as "?".
func oneLine(err error) string {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' {
			return '?'
		}
		return r
	}, msg)
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
