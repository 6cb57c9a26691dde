// Package doc is the registry's lossless JSON codec: a validating
// scanner that keeps every record as the bytes it was read with, readers
// for values the scanner has validated, and a writer that spells JSON the
// way the reference implementation (Python's json.dump with indent=2 and
// ensure_ascii=False) does. It knows nothing about registry fields.
package doc
