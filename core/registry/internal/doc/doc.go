// Package doc is the registry's JSON document layer. A registry file is a
// top-level array of objects; the registry speaks to it through a few
// verbs:
//
//   - reading: ParseArray keeps every byte of a file (Records index their
//     top-level members; Python's NaN, Infinity and -Infinity are
//     accepted), ParseRecord one record, Valid checks a value; a Value is
//     one value's bytes, read with Kind, Get (by key path), Str, Bool,
//     Int, Float, Strs, Elems, Members and Equal;
//   - merging: Merge and MergedValue merge an entry's two records under
//     an ownership function, Join lists two objects' keys as the merge
//     does;
//   - writing: Set sets a value at a key path inside a record, Encode
//     spells a new value the way the reference implementation (Python's
//     json.dump with indent=2 and ensure_ascii=False, floats through
//     internal/pyfloat) does, AppendRecord writes a record in that
//     layout, and Array.Write and WriteArray write a file back with
//     untouched bytes copied.
//
// Every byte offset, indentation and comma the registry writes is computed
// here; the package knows no registry field.
//
// The scanner is this package's own rather than encoding/json/jsontext's:
// measured on the registry's files, jsontext scanned 1.5–1.9× slower than
// this scanner (which splits and indexes records in the same pass and
// notes whether a record already has the reference layout), and it
// rejects the NaN and Infinity that Python's json module writes.
package doc
