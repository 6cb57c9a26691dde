package supervise

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

var (
	// ErrPortInUse: the port is taken by a process this tool did not
	// start (or cannot prove it started).
	ErrPortInUse = errors.New("port in use")
	// ErrStartFailed is wrapped by every *StartError.
	ErrStartFailed = errors.New("server did not start")
	// ErrBadState: the state file cannot be read as a state.
	ErrBadState = errors.New("malformed state file")
	// ErrNotActive: the model asked about is not the one active on the
	// port.
	ErrNotActive = errors.New("model not active")
	// ErrUnsupported: this system cannot supervise servers.
	ErrUnsupported = errors.New("server supervision is not supported on this system")
)

// StartError reports a server that exited or never became ready, with the
// last lines of its log.
type StartError struct {
	// Name is the entry whose server failed.
	Name string
	// Port is the port it was to listen on.
	Port int
	// Reason says what happened ("exited with status 1", "not ready
	// within 3m0s").
	Reason string
	// LogFile is the server's log.
	LogFile string
	// LogTail holds the log's last lines.
	LogTail []string
}

// Error names the server, says what happened and quotes the log's tail.
func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server for %q on port %d %s; it was stopped; log %s", e.Name, e.Port, e.Reason, e.LogFile)
	if len(e.LogTail) > 0 {
		b.WriteString(", last lines:\n")
		for _, l := range e.LogTail {
			b.WriteString("  " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// Unwrap returns ErrStartFailed.
func (e *StartError) Unwrap() error { return ErrStartFailed }

// NoExecutableError reports a server program that is not there: a bare
// name not found on PATH, or no file at the path given.
type NoExecutableError struct {
	// Program is the command's first word, as given.
	Program string
	// Err is what starting it returned.
	Err error
}

// Error names the program and where it was looked for.
func (e *NoExecutableError) Error() string {
	if filepath.Base(e.Program) == e.Program {
		return fmt.Sprintf("server executable %q not found on PATH", e.Program)
	}
	return fmt.Sprintf("server executable %q not found", e.Program)
}

// Unwrap returns the error starting the program returned.
func (e *NoExecutableError) Unwrap() error { return e.Err }
