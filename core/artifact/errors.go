package artifact

import (
	"errors"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/internal/safefile"
)

var (
	// ErrLockViolation is wrapped by *LockViolationError: the computed
	// aggregate differs from the one a version lock expects, or the locked
	// artifacts cannot be found.
	ErrLockViolation = errors.New("version lock violation")

	// ErrArtifactsMissing is wrapped when the model folder, or files a
	// manifest or download list names, do not exist.
	ErrArtifactsMissing = errors.New("artifacts missing")

	// ErrUnsafePath is wrapped when a listed path is absolute, contains "..",
	// is not clean, or reaches outside the root through a symbolic link.
	ErrUnsafePath = errors.New("unsafe path")

	// ErrInvalidPath is wrapped when a path cannot be represented in the
	// aggregate (it contains a newline) or a root cannot be resolved.
	ErrInvalidPath = errors.New("invalid path")

	// ErrNotRegular is wrapped when a listed path is a directory, device,
	// FIFO, socket or other non-regular file; such files are never opened
	// (or, when one replaces a file after it was listed, opened without
	// blocking and refused). It is the same value as the one every other
	// file the tool opens by name is refused with, so one errors.Is finds
	// both.
	ErrNotRegular = safefile.ErrNotRegular

	// ErrFileChanged is wrapped when a file's size or modification time
	// changes while it is being hashed.
	ErrFileChanged = errors.New("file changed while hashing")

	// ErrNoFiles is wrapped (together with ErrArtifactsMissing) when the
	// selection rule picks no file at all: an empty model folder, for
	// example an unmounted mount point.
	ErrNoFiles = errors.New("no files to hash")

	// ErrNoLocalPath is wrapped (together with ErrArtifactsMissing) when an
	// entry names no local folder to hash, for example a model_path of the
	// form "ollama:/name:tag".
	ErrNoLocalPath = errors.New("no local model folder")
)

// PathError records a failure on one file or folder. Path is the
// slash-separated path relative to Root ("." for the root itself); Err is
// the cause and wraps one of the package's sentinels or an fs error.
type PathError struct {
	Op   string // what was being done: "open root", "stat", "hash", "validate" ...
	Root string // the model folder, as resolved
	Path string // relative path at fault
	Err  error
}

// Error names the operation, the path and the root.
func (e *PathError) Error() string {
	if e.Root == "" {
		return fmt.Sprintf("%s %q: %v", e.Op, e.Path, e.Err)
	}
	if e.Path == "." {
		return fmt.Sprintf("%s %q: %v", e.Op, e.Root, e.Err)
	}
	return fmt.Sprintf("%s %q in %q: %v", e.Op, e.Path, e.Root, e.Err)
}

// Unwrap returns the cause.
func (e *PathError) Unwrap() error { return e.Err }

// MissingFilesError lists the files of a manifest or download list that do
// not exist under Root. It wraps ErrArtifactsMissing.
type MissingFilesError struct {
	Root  string
	Paths []string // sorted
}

// Error names the root and the missing files.
func (e *MissingFilesError) Error() string {
	return fmt.Sprintf("%s under %q: %d listed file(s) not found: %s",
		ErrArtifactsMissing, e.Root, len(e.Paths), listNames(e.Paths))
}

// Unwrap returns ErrArtifactsMissing.
func (e *MissingFilesError) Unwrap() error { return ErrArtifactsMissing }

// LockViolationError reports that an entry's artifacts no longer match its
// version lock. Expected and Actual are aggregates (Actual is empty when the
// artifacts could not be hashed); Drift names the files that changed, went
// missing or appeared; Err, when set, is the hashing error behind the
// violation (for example one wrapping ErrArtifactsMissing).
type LockViolationError struct {
	Entry    string
	Expected string
	Actual   string
	Drift    Drift
	Err      error
}

// Error is one line naming the entry, both aggregates and the drifted files.
func (e *LockViolationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s for %q: ", ErrLockViolation, e.Entry)
	if e.Actual == "" {
		b.WriteString("the locked artifacts could not be hashed")
		if e.Expected != "" {
			fmt.Fprintf(&b, " (expected aggregate %s)", e.Expected)
		}
	} else {
		fmt.Fprintf(&b, "expected aggregate %s, got %s", orNone(e.Expected), e.Actual)
	}
	if s := e.Drift.String(); s != "" {
		b.WriteString("; ")
		b.WriteString(s)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap returns ErrLockViolation and, when set, Err.
func (e *LockViolationError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrLockViolation}
	}
	return []error{ErrLockViolation, e.Err}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// maxListed caps how many names an error line spells out per category.
const maxListed = 20

// listNames joins names with ", ", eliding past maxListed.
func listNames(names []string) string {
	if len(names) <= maxListed {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, and %d more", strings.Join(names[:maxListed], ", "), len(names)-maxListed)
}
