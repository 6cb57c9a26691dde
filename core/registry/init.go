package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// InitResult says what Init or InitFile did.
type InitResult struct {
	// Dir is the registry directory (the file's folder in single-file
	// mode).
	Dir string `json:"dir"`
	// CreatedDir is true when Dir did not exist and was created.
	CreatedDir bool `json:"created_dir"`
	// Created lists the files Init created, by name inside Dir: the
	// curated layer, the discovered layer, the snapshot (and the backup of
	// a legacy file it split), in that order. Empty, never nil, when the
	// folder already held everything.
	Created []string `json:"created"`
	// SplitLegacy is true when the folder held a legacy
	// model_registry.json that Init split into the two layers (as Open
	// does).
	SplitLegacy bool `json:"split_legacy,omitempty"`
}

// emptyLayer is the contents of a new layer file.
const emptyLayer = "[]\n"

// Init makes dir a layered registry: it creates the folder when missing,
// the curated layer (an empty list) and the discovered layer when they are
// missing, and regenerates the snapshot. It never overwrites a file: a
// layer that exists, or that someone creates meanwhile, is kept as it is,
// so a second Init changes nothing. A folder holding a legacy
// model_registry.json (or an unfinished split of one) is split into the
// layers first, as Open does, instead of being shadowed by new empty
// layers. The layer files are created under the registry's flock file,
// each atomically (a temporary file hard-linked into place).
//
// Errors: ErrReadOnly when opts.ReadOnly; I/O errors naming the path (dir
// is a file, a FIFO at a layer's name, a dangling link); Open's errors
// (*ParseError when an existing layer does not parse, ErrInterruptedSplit).
func Init(ctx context.Context, dir string, opts Options) (InitResult, error) {
	res := InitResult{Dir: dir, Created: []string{}}
	if opts.ReadOnly {
		return res, fmt.Errorf("registry %s: %w", dir, ErrReadOnly)
	}
	made, err := makeDir(dir)
	if err != nil {
		return res, err
	}
	res.CreatedDir = made
	r := &Registry{dir: dir, opts: opts, log: opts.logger()}
	files := []string{CuratedFile, DiscoveredFile, SnapshotFile, BackupFile}
	before, err := r.existing(files)
	if err != nil {
		return res, err
	}
	if err := r.createLayers(ctx, &res); err != nil {
		return res, err
	}
	// Open reads what is there now; a Save with nothing staged writes the
	// snapshot when it is missing or stale, under the flock file.
	reg, err := Open(ctx, dir, opts)
	if err != nil {
		return res, err
	}
	if err := reg.Save(ctx); err != nil {
		return res, err
	}
	after, err := r.existing(files)
	if err != nil {
		return res, err
	}
	for i, f := range files {
		if after[i] && !before[i] {
			res.Created = append(res.Created, f)
		}
	}
	return res, nil
}

// createLayers creates the missing layer files under the flock file. A
// legacy file or an unfinished split found under the lock is split first
// (by Open, which takes the lock itself), and the check repeated.
func (r *Registry) createLayers(ctx context.Context, res *InitResult) error {
	for try := 0; ; try++ {
		fl, err := r.lock(ctx)
		if err != nil {
			return err
		}
		legacy, err := r.needsSplit()
		if err != nil {
			fl.Unlock()
			return err
		}
		if !legacy {
			defer fl.Unlock()
			for _, f := range []string{CuratedFile, DiscoveredFile} {
				err := safefile.WriteNew(r.path(f), []byte(emptyLayer), 0o644)
				if err != nil && !errors.Is(err, fs.ErrExist) {
					return err
				}
			}
			return nil
		}
		fl.Unlock()
		if try > 0 {
			return fmt.Errorf("registry directory %s: the legacy %s is still there after splitting it", r.dir, SnapshotFile)
		}
		if _, err := Open(ctx, r.dir, r.opts); err != nil {
			return err
		}
		res.SplitLegacy = true
	}
}

// needsSplit reports whether the folder holds a registry that Open would
// split: a split marker, or a legacy snapshot without either layer.
func (r *Registry) needsSplit() (bool, error) {
	ex, err := r.existing([]string{SplitMarkerFile, CuratedFile, DiscoveredFile, SnapshotFile})
	if err != nil {
		return false, err
	}
	return ex[0] || !ex[1] && !ex[2] && ex[3], nil
}

// existing reports which of the named files exist in the registry folder.
func (r *Registry) existing(names []string) ([]bool, error) {
	out := make([]bool, len(names))
	for i, n := range names {
		st, err := statStamp(r.path(n))
		if err != nil {
			return nil, err
		}
		out[i] = st.exists
	}
	return out, nil
}

// makeDir creates dir (and its parents) when missing and reports whether
// it did; a path that exists but is not a folder is an error naming it.
func makeDir(dir string) (bool, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, fmt.Errorf("creating registry directory: %w", err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("registry directory %s: %w", dir, err)
	case !fi.IsDir():
		return false, fmt.Errorf("registry directory %s: is %s, not a directory", dir, safefile.Kind(fi.Mode()))
	}
	return false, nil
}

// InitFile makes path a single-file registry: it creates the file's folder
// when missing and the file (an empty list) when missing, atomically and
// under the file's flock file; an existing file is never changed. Errors:
// ErrReadOnly when opts.ReadOnly; I/O errors naming the path.
func InitFile(ctx context.Context, path string, opts Options) (InitResult, error) {
	dir := filepath.Dir(path)
	res := InitResult{Dir: dir, Created: []string{}}
	if opts.ReadOnly {
		return res, fmt.Errorf("registry %s: %w", path, ErrReadOnly)
	}
	made, err := makeDir(dir)
	if err != nil {
		return res, err
	}
	res.CreatedDir = made
	r := &Registry{dir: dir, single: path, opts: opts, log: opts.logger()}
	fl, err := r.lock(ctx)
	if err != nil {
		return res, err
	}
	defer fl.Unlock()
	err = safefile.WriteNew(path, []byte(emptyLayer), 0o644)
	switch {
	case err == nil:
		res.Created = append(res.Created, filepath.Base(path))
	case !errors.Is(err, fs.ErrExist):
		return res, err
	}
	// An existing file must at least be one the registry can read.
	if _, err := statStamp(path); err != nil {
		return res, err
	}
	return res, nil
}
