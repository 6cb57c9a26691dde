package registry

import (
	"errors"
	"fmt"

	"github.com/imageworks-ai/loader/internal/suggest"
)

// Sentinel errors. Errors returned by this package wrap one of them (or are
// one of the error types below) and name the file, entry or field at fault;
// match them with errors.Is.
var (
	// ErrNotFound: no entry has the requested name. *NotFoundError wraps
	// it, with the names close to the one asked for.
	ErrNotFound = errors.New("entry not found")
	// ErrAmbiguousAlias: no entry has the requested name and several list
	// it in model_aliases. *AliasError wraps it.
	ErrAmbiguousAlias = errors.New("alias claimed by more than one entry")
	// ErrCuratedField: tooling tried to change a curated-owned field of an
	// entry that exists in the curated layer.
	ErrCuratedField = errors.New("field is owned by the curated layer")
	// ErrNoRegistry: the directory holds neither layer nor a legacy file.
	ErrNoRegistry = errors.New("no registry")
	// ErrDuplicate: a name appears twice where that is not allowed (single-file
	// mode without AllowDuplicates, Add of an existing name).
	ErrDuplicate = errors.New("duplicate entry name")
	// ErrSyntax: a registry file is not valid JSON or not an array of
	// objects. *ParseError wraps it.
	ErrSyntax = errors.New("invalid registry JSON")
	// ErrInvalidEdit: an edit or a new record is malformed (empty path,
	// renaming an entry, a record without name, a value that cannot be
	// encoded).
	ErrInvalidEdit = errors.New("invalid edit")
	// ErrInvalidField: a stored field that a command acts on has the wrong
	// type (a version_lock.locked that is not a boolean, say). *FieldError
	// wraps it.
	ErrInvalidField = errors.New("invalid field")
)

// FieldError reports a stored field of the wrong type that a command must
// act on, so it cannot be read as its zero value. It wraps ErrInvalidField.
type FieldError struct {
	Entry string // the entry's name
	Field string // the top-level key
	Msg   string // what is wrong, naming the member path ("version_lock.locked: ...")
}

// Error names the entry and says what is wrong with the field.
func (e *FieldError) Error() string {
	return fmt.Sprintf("entry %q: %s (fix the field in the registry file; `validate` lists every such problem)", e.Entry, e.Msg)
}

// Unwrap returns ErrInvalidField.
func (e *FieldError) Unwrap() error { return ErrInvalidField }

// ParseError reports a registry file that does not parse. Line and Column
// are 1-based; Column counts characters.
type ParseError struct {
	// File is the path of the file that does not parse.
	File string
	// Line is the 1-based line of the first error.
	Line int
	// Column is the 1-based column of the first error, in characters.
	Column int
	// Err describes the error and wraps ErrSyntax.
	Err error
}

// Error returns "file:line:col: message".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

// Unwrap returns the underlying error, which wraps ErrSyntax.
func (e *ParseError) Unwrap() error { return e.Err }

// CuratedFieldError is returned when tooling tries to change a curated-owned
// field of an entry that exists in the curated layer. It wraps
// ErrCuratedField.
type CuratedFieldError struct {
	Entry string // the entry's name
	Field string // the top-level key
	File  string // the curated file people edit instead
}

// Error names the entry, the field and the curated file.
func (e *CuratedFieldError) Error() string {
	return fmt.Sprintf("entry %q: field %q is owned by the curated layer; edit %s instead", e.Entry, e.Field, e.File)
}

// Unwrap returns ErrCuratedField.
func (e *CuratedFieldError) Unwrap() error { return ErrCuratedField }

// DuplicateError reports a name that appears more than once in one file.
// It wraps ErrDuplicate.
type DuplicateError struct {
	// File is the path of the file holding the duplicates.
	File string
	// Entry is the duplicated name.
	Entry string
	// Count is how many records carry the name.
	Count int
}

// Error names the file and the entry.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s: entry %q appears %d times", e.File, e.Entry, e.Count)
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// NotFoundError reports a name that no entry has and no entry lists as an
// alias. It wraps ErrNotFound.
type NotFoundError struct {
	// Name is the name asked for, as given.
	Name string
	// Suggestions are the entry names and aliases closest to Name (the
	// same name but for case first, then near misses), best first, at
	// most three; empty when nothing is close.
	Suggestions []string
}

// Error names the entry and, when some are close, what it may have meant:
// `entry "X": entry not found; did you mean "x"?`.
func (e *NotFoundError) Error() string {
	return suggest.Append(fmt.Sprintf("entry %q: %v", e.Name, ErrNotFound), e.Suggestions, nil)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }
