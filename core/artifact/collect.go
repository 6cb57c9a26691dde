package artifact

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// Options tune Collect. The zero value hashes the real file system on
// runtime.GOMAXPROCS goroutines without progress reports.
type Options struct {
	// Open opens the model folder; nil means OSOpener.
	Open Opener
	// Workers is how many files are hashed at once; 0 or less means
	// runtime.GOMAXPROCS(0). It is capped at the number of files and at
	// 32, so read buffers never exceed 32 MiB together.
	Workers int
	// Progress, when non-nil, receives bytes hashed so far and the total.
	// It is called from the hashing goroutines but never concurrently,
	// with done non-decreasing: first (0, total) before hashing starts,
	// then after every buffer, and (total, total) when all succeeded. It
	// must return quickly.
	Progress func(done, total int64)
}

// Result is what Collect found.
type Result struct {
	Root      string   // the model folder, absolute
	Selection FileRule // which rule chose the files
	Files     []File   // sorted by Path
	Aggregate string   // see the package documentation
	Bytes     int64    // total size of Files
}

// Collect selects the files of src (see the package documentation), hashes
// them in parallel and computes their aggregate. Errors, all naming the
// root and usually the path at fault:
//
//   - a missing model folder, a model_path naming no local folder, or files
//     listed but absent: wraps ErrArtifactsMissing (a *PathError, or a
//     *MissingFilesError listing every absent file);
//   - a listed path that is absolute, has "..", is not clean, or reaches
//     outside the folder through a link: a *PathError wrapping
//     ErrUnsafePath, returned before any file is opened;
//   - a listed path that is a directory or special file: ErrNotRegular;
//   - a file changing while hashed: ErrFileChanged;
//   - no file selected at all (an empty folder, an unmounted mount point,
//     a download list of folders only): a *PathError naming the root and
//     wrapping both ErrArtifactsMissing and ErrNoFiles, so an empty set is
//     never hashed into the aggregate of no input;
//   - cancellation: ctx.Err(), returned promptly.
//
// On error the Result is the zero value.
func Collect(ctx context.Context, src Source, opts Options) (Result, error) {
	p, err := src.plan()
	if err != nil {
		return Result{}, err
	}
	fsys, closeRoot, err := openRoot(opts, p.root)
	if err != nil {
		return Result{}, err
	}
	defer closeRoot()
	jobs, err := p.jobs(ctx, fsys)
	if err != nil {
		return Result{}, err
	}
	if len(jobs) == 0 {
		// An empty folder (an unmounted mount point, say) is never pinned
		// or verified as the hash of no input.
		return Result{}, &PathError{Op: "select files", Root: p.root, Path: ".",
			Err: fmt.Errorf("%w: %w by the %s rule", ErrArtifactsMissing, ErrNoFiles, p.sel)}
	}
	files, total, err := hashAll(ctx, fsys, p.root, jobs, opts)
	if err != nil {
		return Result{}, err
	}
	agg, err := Aggregate(files)
	if err != nil {
		return Result{}, err
	}
	return Result{Root: p.root, Selection: p.sel, Files: files, Aggregate: agg, Bytes: total}, nil
}

// jobs lists the files the plan selects in fsys, its opened root.
func (p plan) jobs(ctx context.Context, fsys fs.FS) ([]job, error) {
	if p.paths == nil {
		return walk(ctx, fsys, p.root, ".", skipToolFolders)
	}
	return list(fsys, p.root, p.paths)
}

// openModelFolder opens src's model folder ([Source.Root]) with opts.Open;
// the returned func closes it.
func openModelFolder(src Source, opts Options) (fs.FS, string, func(), error) {
	root, err := src.Root()
	if err != nil {
		return nil, "", nil, err
	}
	fsys, closeRoot, err := openRoot(opts, root)
	return fsys, root, closeRoot, err
}

// openRoot opens the model folder with opts.Open (OSOpener when nil); the
// returned func closes it. A missing folder or a file in its place is a
// *PathError wrapping ErrArtifactsMissing.
func openRoot(opts Options, root string) (fs.FS, func(), error) {
	open := opts.Open
	if open == nil {
		open = OSOpener
	}
	fsys, err := open(root)
	if err != nil {
		switch {
		case isNotExist(err):
			err = &folderError{"no such folder", fs.ErrNotExist}
		case errors.Is(err, syscall.ENOTDIR):
			err = &folderError{"not a folder", syscall.ENOTDIR}
		}
		return nil, nil, &PathError{Op: "open model folder", Root: root, Path: ".", Err: err}
	}
	if c, ok := fsys.(io.Closer); ok {
		return fsys, func() { c.Close() }, nil
	}
	return fsys, func() {}, nil
}

// folderError says why the model folder cannot be opened; it wraps
// ErrArtifactsMissing and the underlying condition.
type folderError struct {
	what  string
	cause error
}

func (e *folderError) Error() string   { return ErrArtifactsMissing.Error() + ": " + e.what }
func (e *folderError) Unwrap() []error { return []error{ErrArtifactsMissing, e.cause} }

// job is one file to hash: path is its name in the result, open the
// link-free name to open, info its state when listed.
type job struct {
	path, open string
	info       fs.FileInfo
}

// list stats every listed path without opening it. Absent files are
// gathered into one *MissingFilesError.
func list(fsys fs.FS, root string, paths []string) ([]job, error) {
	var jobs []job
	var missing []string
	for _, name := range paths {
		target, err := resolve(fsys, name)
		if err == nil {
			var fi fs.FileInfo
			if fi, err = fs.Stat(fsys, target); err == nil {
				switch {
				case fi.Mode().IsRegular():
					jobs = append(jobs, job{path: name, open: target, info: fi})
					continue
				default:
					err = fmt.Errorf("%w: is %s", ErrNotRegular, safefile.Kind(fi.Mode()))
				}
			}
		}
		if isNotExist(err) {
			missing = append(missing, name)
			continue
		}
		return nil, &PathError{Op: "check", Root: root, Path: name, Err: err}
	}
	if len(missing) > 0 {
		return nil, &MissingFilesError{Root: root, Paths: missing}
	}
	return jobs, nil
}

// skipToolFolders is the walk's folder filter for a model's files: the
// tool folders at the root are left out.
func skipToolFolders(name string) bool { return isToolFolder(name) }

// walk lists every regular file under start (a folder of fsys, "." for the
// root), following links to regular files inside the root and skipping
// everything else, and every folder for which skip says so. A start that
// does not exist gives no file.
func walk(ctx context.Context, fsys fs.FS, root, start string, skip func(name string) bool) ([]job, error) {
	var jobs []job
	err := fs.WalkDir(fsys, start, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name == start && start != "." && isNotExist(err) {
				return fs.SkipAll
			}
			return &PathError{Op: "walk", Root: root, Path: name, Err: err}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if skip != nil && skip(name) {
				return fs.SkipDir
			}
			return nil // folders are walked
		}
		if d.Type()&^fs.ModeSymlink != 0 {
			return nil // special files are skipped
		}
		if err := CheckPath(name); err != nil {
			return &PathError{Op: "walk", Root: root, Path: name, Err: err}
		}
		target := name
		if d.Type()&fs.ModeSymlink != 0 {
			if target, err = resolve(fsys, name); err != nil {
				if isNotExist(err) {
					return nil // dangling link: not a file
				}
				return &PathError{Op: "walk", Root: root, Path: name, Err: err}
			}
		}
		fi, err := fs.Stat(fsys, target)
		if err != nil {
			if isNotExist(err) {
				return nil // removed while walking
			}
			return &PathError{Op: "walk", Root: root, Path: name, Err: err}
		}
		if fi.Mode().IsRegular() {
			jobs = append(jobs, job{path: name, open: target, info: fi})
		}
		return nil
	})
	return jobs, err
}

// CollectToolFolders hashes the files Collect's walk leaves out, those
// under [ToolFolders] of src's model folder, and returns them with their
// own aggregate and [FromToolFolders] as the Selection. The earlier Python
// tool's walk included them, so an expected hash it stored may cover them
// (see "Which files" in the registry format); they are small, and hashed
// only when a lock does not hold without them. No such folder gives a
// Result with no files and no error. Errors are Collect's, but for the
// empty set.
func CollectToolFolders(ctx context.Context, src Source, opts Options) (Result, error) {
	fsys, root, closeRoot, err := openModelFolder(src, opts)
	if err != nil {
		return Result{}, err
	}
	defer closeRoot()
	var jobs []job
	for _, dir := range ToolFolders() {
		found, err := walk(ctx, fsys, root, dir, nil)
		if err != nil {
			return Result{}, err
		}
		jobs = append(jobs, found...)
	}
	if len(jobs) == 0 {
		return Result{Root: root, Selection: FromToolFolders}, nil
	}
	files, total, err := hashAll(ctx, fsys, root, jobs, opts)
	if err != nil {
		return Result{}, err
	}
	agg, err := Aggregate(files)
	if err != nil {
		return Result{}, err
	}
	return Result{Root: root, Selection: FromToolFolders, Files: files, Aggregate: agg, Bytes: total}, nil
}

// bufSize is each worker's read buffer: large enough to amortise system
// calls, small enough that memory stays bounded.
const bufSize = 1 << 20

// readAheadBufs is how many buffers a worker reading ahead cycles through.
const readAheadBufs = 4

// maxBufferBytes bounds all read buffers together, so memory stays small
// whatever the model size and core count.
const maxBufferBytes = 32 << 20

// hashAll hashes jobs on up to opts.Workers goroutines, largest first, and
// returns the files sorted by path with their total size.
func hashAll(ctx context.Context, fsys fs.FS, root string, jobs []job, opts Options) ([]File, int64, error) {
	slices.SortFunc(jobs, func(a, b job) int {
		return cmp.Or(cmp.Compare(b.info.Size(), a.info.Size()), cmp.Compare(a.path, b.path))
	})
	var total int64
	for _, j := range jobs {
		total += j.info.Size()
	}
	prog := newProgress(opts.Progress, total)
	prog.add(0)

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs), maxBufferBytes/bufSize)
	// With cores to spare (fewer files than cores), each worker reads
	// ahead on a second goroutine, memory budget permitting.
	nbuf := 1
	if workers < runtime.GOMAXPROCS(0) && workers*readAheadBufs*bufSize <= maxBufferBytes {
		nbuf = readAheadBufs
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	files := make([]File, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			bufs := make([][]byte, nbuf)
			for i := range bufs {
				bufs[i] = make([]byte, bufSize)
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= len(jobs) || ctx.Err() != nil {
					return
				}
				sum, err := hashFile(ctx, fsys, jobs[i], bufs, prog)
				if err != nil {
					if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
						err = &PathError{Op: "hash", Root: root, Path: jobs[i].path, Err: err}
					}
					cancel(err) // the first cause wins
					return
				}
				files[i] = File{Path: jobs[i].path, SHA256: sum}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, 0, err
	}
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	return files, total, nil
}

// progress serialises calls to a Progress callback.
type progress struct {
	mu    sync.Mutex
	fn    func(done, total int64)
	done  int64
	total int64
}

func newProgress(fn func(done, total int64), total int64) *progress {
	return &progress{fn: fn, total: total}
}

func (p *progress) add(n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.fn(p.done, p.total)
}
