package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"slices"
)

// FromLegacyPartial names the selection of [CollectLegacyPartial]: the
// covered root-level files of the earlier Python tool's partial aggregate.
const FromLegacyPartial FileRule = "legacy_partial"

// LegacyPartialNames returns, sorted, the root-level file names the earlier
// Python tool's partial aggregate covers: config.json, mm_projector.bin,
// tokenizer.json, tokenizer.model and tokenizer_config.json.
func LegacyPartialNames() []string {
	return []string{"config.json", "mm_projector.bin", "tokenizer.json", "tokenizer.model", "tokenizer_config.json"}
}

// IsLegacyPartialName reports whether p (relative, slash-separated) is one of
// [LegacyPartialNames] at the root of the model folder; a covered name in a
// subfolder is not covered.
func IsLegacyPartialName(p string) bool {
	_, found := slices.BinarySearch(LegacyPartialNames(), p)
	return found
}

// LegacyPartialAggregate computes the partial aggregate that the earlier
// Python tool's `lock --set-expected` and `verify` stored as the expected
// hash (see "Locks written by the earlier Python tool" in the registry
// format). Of files only those whose path is one of [LegacyPartialNames]
// count (never the weights, nothing in subfolders); the result is the
// lowercase hex SHA-256 of their lowercase hex digests, sorted ascending and
// concatenated with no separator and no paths. With no covered file it is
// "" (no hash), never the hash of the empty string. files is not modified.
func LegacyPartialAggregate(files []File) string {
	var digests []string
	for _, f := range files {
		if IsLegacyPartialName(f.Path) {
			digests = append(digests, f.SHA256)
		}
	}
	if len(digests) == 0 {
		return ""
	}
	slices.Sort(digests)
	h := sha256.New()
	for _, d := range digests {
		io.WriteString(h, d)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// CollectLegacyPartial hashes the covered files ([LegacyPartialNames]) that
// exist as regular files at the root of src.ModelPath, as the earlier Python
// tool did, and returns them with [LegacyPartialAggregate] as the Result's
// Aggregate ("" when none exists) and [FromLegacyPartial] as its Selection.
// The folder is src's model folder ([Source.Root]); src.Listed is not
// used. These files are small, so this is cheap beside [Collect].
//
// Errors: a model_path naming no local folder, or a missing folder, wraps
// ErrArtifactsMissing; a covered name that is a link leading outside the
// folder wraps ErrUnsafePath; ctx's error; read errors as a *PathError.
func CollectLegacyPartial(ctx context.Context, src Source, opts Options) (Result, error) {
	fsys, root, closeRoot, err := openModelFolder(src, opts)
	if err != nil {
		return Result{}, err
	}
	defer closeRoot()
	var jobs []job
	for _, name := range LegacyPartialNames() {
		target, err := resolve(fsys, name)
		var fi fs.FileInfo
		if err == nil {
			fi, err = fs.Stat(fsys, target)
		}
		switch {
		case isNotExist(err):
			continue
		case err != nil:
			return Result{}, &PathError{Op: "check", Root: root, Path: name, Err: err}
		case fi.Mode().IsRegular():
			jobs = append(jobs, job{path: name, open: target, info: fi})
		}
	}
	files, total, err := hashAll(ctx, fsys, root, jobs, opts)
	if err != nil {
		return Result{}, err
	}
	return Result{Root: root, Selection: FromLegacyPartial, Files: files,
		Aggregate: LegacyPartialAggregate(files), Bytes: total}, nil
}
