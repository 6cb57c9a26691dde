// Package registry reads and writes the layered model registry: a curated
// layer people edit (model_registry.curated.json), a discovered layer tooling
// writes (model_registry.discovered.json) and a merged snapshot
// (model_registry.json) kept for scripts that read one file.
//
// Reading and writing are lossless. Every record keeps the bytes it was read
// with; fields are decoded lazily when an accessor asks for them, and a save
// splices only the records this process changed into the discovered file, so
// unknown keys keep their bytes and order, a save that changes nothing leaves
// the files byte-identical and a save that changes one entry changes only that
// entry's lines. New bytes follow the layout of the reference implementation
// (Python's json.dump with indent=2 and ensure_ascii=False, plus a trailing
// newline).
//
// The merge follows field ownership: runtime-owned keys (artifacts,
// version_lock, performance, probes and the download_* state) come from the
// discovered layer, every other key from the curated layer, objects merging
// key by key and null never erasing a value. Tooling edits of curated-owned
// keys of curated entries are refused with a *CuratedFieldError.
//
// Where things live: fields.go is the field table, one row per known
// top-level field giving its key, the layer that owns it and how Validate
// checks it; a new field is a row there (plus an Entry accessor or an Edit
// method in this package if typed access is wanted). Tooling writes the
// fields it owns through typed edits (Edit.SetLocked, SetLastVerified,
// SetArtifacts, SetVisionProbe, SetExpectedHashIfAbsent,
// ReplaceExpectedHash) and new records through ImportedRecord, so no other
// package spells a JSON key. The lossless JSON codec (the validating
// scanner, readers of scanned values and the reference-layout writer) is
// internal/doc, which knows nothing about registry fields.
//
// Saves take an exclusive flock on .model_registry.lock, re-read the layers,
// replay only this process's staged changes and write atomically (temporary
// file, fsync, rename, fsync of the directory). The curated file is never
// written, except once when a legacy single-file registry is split; that
// split leaves a marker (SplitMarkerFile) until its last step, so a split
// interrupted at any point is finished by the next Open, or refused with
// ErrInterruptedSplit and how to recover.
//
// Every file is opened through internal/safefile: without blocking, and
// refused unless it is a regular file (a FIFO fails at once, naming it); a
// dangling symbolic link is an error, never a missing layer; the lock file
// is never followed through a link; and a save never writes through, nor
// replaces, a symbolic link (it fails with an error naming it).
package registry
