// Package doc is the registry's JSON document layer. A registry file is a
// top-level array of objects; ParseArray keeps every byte of it (Records
// index their top-level members; Python's NaN, Infinity and -Infinity are
// accepted) and Array.Write writes it back with untouched bytes copied.
// Set sets a value at a key path inside a record, Merge and MergedValue
// merge an entry's two records under an ownership function (Join lists the
// keys of two objects the way the merge does), Equal compares values and
// Encode spells new values the way the reference implementation (Python's
// json.dump with indent=2 and ensure_ascii=False, floats through
// internal/pyfloat) does. The readers (Member, Str, IsObject, ...) read
// values the scanner has validated.
//
// Every byte offset, indentation and comma the registry writes is computed
// here; the package knows no registry field.
package doc
