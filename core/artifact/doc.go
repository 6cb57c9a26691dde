// Package artifact selects, hashes and compares the files behind a model
// entry: the per-file SHA-256 manifest, the aggregate hash that version locks
// pin, and the drift report between two manifests.
//
// # The aggregate
//
// A file's hash is the lowercase hexadecimal SHA-256 of its bytes. Given a
// list of files, each with a relative, slash-separated path and its file hash,
// the aggregate is computed as follows:
//
//  1. For each file, form the line "<sha256><two spaces><path>", that is the
//     64 hex digits of the file hash, two ASCII spaces, then the path.
//  2. Sort the lines bytewise ascending (Go's < on strings).
//  3. Join them with "\n" (no trailing newline after the last line).
//  4. The aggregate is the lowercase hex SHA-256 of the joined bytes.
//
// This is `sha256sum` output for the files, sorted, without its final
// newline. No files give the SHA-256 of the empty string,
// e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.
// A path containing a newline would make the lines ambiguous and is rejected
// (see [Aggregate]). The formula and vectors match the reference (Python)
// implementation, so aggregates stored by it keep verifying.
//
// # Which files
//
// [Collect] hashes the model folder ([Source.Root]: backend_config.model_path
// when it names a local folder, else download_path) as a tree: every
// regular file under it, recursively, except the download tools' folders
// at its root, ".git" and ".cache/huggingface" ([ToolFolders]; the earlier
// Python tool's walk included them, and [CollectToolFolders] hashes them
// for that comparison). A file that appears in the folder is part of the
// model, so a lock covers it. Symbolic links to regular files inside the
// folder count under the link's name; links to directories are not
// followed; devices, FIFOs and sockets are skipped and never opened. Only a
// backend's own list ([Source.Listed], an Ollama model's blobs) limits what
// is hashed; the registry's artifacts.files records the last hash and never
// does. A leading "~" is expanded against [Source.Home] and relative roots
// are resolved against [Source.BaseDir], the registry directory.
//
// # Safety
//
// Listed paths must be clean, relative and slash-separated: an absolute path,
// a ".." element or a path that is not clean is refused with an error
// wrapping [ErrUnsafePath] before any file is opened. A symbolic link whose
// target is absolute or resolves outside the root is refused the same way,
// without opening the target. A listed path that is not a regular file is
// refused with [ErrNotRegular] without opening it, and a file whose size or
// modification time changes while it is hashed is reported with
// [ErrFileChanged] instead of being hashed half-old.
//
// # Speed and memory
//
// Files are hashed in parallel by [Options.Workers] goroutines (largest file
// first), each streaming its file once through a fixed 1 MiB buffer (four,
// reading ahead on a helper goroutine, when there are fewer files than
// cores), so read buffers stay under 32 MiB whatever the model size. A file is never split: one
// big file is hashed on one goroutine at the speed of a sequential read and
// hash.
package artifact
