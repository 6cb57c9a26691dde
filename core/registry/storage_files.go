package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// The storage_*.go files are how the registry meets the disk, apart from
// its rules (fields, ownership, preconditions, merging): file names and
// stamps, reading and re-reading the layers, atomic writes and leftover
// temporary files (this file), the save lock (storage_lock.go), the
// snapshot's regeneration (storage_snapshot.go) and the legacy split
// (storage_split.go).

// writeAtomic replaces path with what write produces, atomically (see
// safefile.WriteAtomic): a crash at any point leaves either the old or the
// new file. A symbolic link at path is refused (safefile.ErrSymlink) and
// nothing is written: the registry never writes through a link, and never
// replaces one. A new file gets mode 0644.
func writeAtomic(path string, write func(w io.Writer) error) error {
	return safefile.WriteAtomic(path, 0o644, write)
}

// writeFileAtomic is writeAtomic for bytes in memory.
func writeFileAtomic(path string, data []byte) error {
	return safefile.WriteFile(path, data, 0o644)
}

// stamp identifies a version of a file for cache invalidation: size,
// modification time, change time and inode, so that an edit restoring the
// modification time, or a file renamed into place with an old one, is
// still seen.
type stamp struct {
	exists bool
	safefile.Version
}

func stampOf(fi fs.FileInfo) stamp {
	return stamp{exists: true, Version: safefile.VersionOf(fi)}
}

// statStamp stats path; a missing file is a zero stamp, not an error, but a
// dangling symbolic link is (safefile.ErrDanglingLink): a layer that points
// nowhere is never taken for an empty one.
func statStamp(path string) (stamp, error) {
	fi, err := safefile.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return stamp{}, nil
	}
	if err != nil {
		return stamp{}, fmt.Errorf("checking %s: %w", path, err)
	}
	return stampOf(fi), nil
}

// readLayer reads and parses one layer file; a missing file is an empty
// layer. Parse failures come back as *ParseError; a FIFO or other
// non-regular file (safefile.ErrNotRegular) and a dangling link
// (safefile.ErrDanglingLink) are errors naming the file, found without
// blocking.
func readLayer(ctx context.Context, file string) (*layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, fi, err := safefile.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		l := &layer{file: file}
		l.reindex()
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry file: %w", err)
	}
	return parseLayer(file, data, stampOf(fi))
}

// rereadLayers reads the layer files again; a file whose bytes equal what
// was read before keeps its parsed form.
func (r *Registry) rereadLayers(ctx context.Context) (cur, dis *layer, err error) {
	return r.bothLayers(func(old *layer, file string) (*layer, error) { return rereadLayer(ctx, old, file) })
}

// bothLayers reads the layers with read, given each one's previous state
// (nil before the first read): the two concurrently in layered mode, the
// one file in single-file mode.
func (r *Registry) bothLayers(read func(old *layer, file string) (*layer, error)) (cur, dis *layer, err error) {
	if r.single != "" {
		dis, err = read(r.dis, r.single)
		return nil, dis, err
	}
	var cerr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cur, cerr = read(r.cur, r.curatedPath())
	}()
	dis, err = read(r.dis, r.discoveredPath())
	wg.Wait()
	if cerr != nil {
		return nil, nil, cerr
	}
	if err != nil {
		return nil, nil, err
	}
	return cur, dis, nil
}

func rereadLayer(ctx context.Context, old *layer, file string) (*layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, fi, err := safefile.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return readLayer(ctx, file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry file: %w", err)
	}
	defer f.Close()
	if old != nil && old.st.exists && int64(len(old.data())) == fi.Size() {
		same, err := sameContent(f, old.data())
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		if same {
			l := *old
			l.st = stampOf(fi)
			return &l, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
	}
	data, err := safefile.ReadAll(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return parseLayer(file, data, stampOf(fi))
}

// removeTemps deletes temporary files left by writers that died mid-write.
// Every write happens under the save lock, so with the lock held no
// temporary file is in use.
func (r *Registry) removeTemps() {
	for _, f := range []string{r.discoveredPath(), r.path(SnapshotFile)} {
		matches, _ := filepath.Glob(safefile.TempPattern(f))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// sameContent reports whether f holds exactly old, reading it in chunks so
// that an unchanged layer costs no second copy in memory.
func sameContent(f io.Reader, old []byte) (bool, error) {
	buf := make([]byte, min(len(old)+1, 1<<20))
	off := 0
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if off+n > len(old) || !bytes.Equal(buf[:n], old[off:off+n]) {
				return false, nil
			}
			off += n
		}
		if err == io.EOF {
			return off == len(old), nil
		}
		if err != nil {
			return false, err
		}
	}
}

func (r *Registry) path(name string) string { return filepath.Join(r.dir, name) }

func (r *Registry) curatedPath() string { return r.path(CuratedFile) }

func (r *Registry) discoveredPath() string {
	if r.single != "" {
		return r.single
	}
	return r.path(DiscoveredFile)
}

func (r *Registry) lockPath() string {
	if r.single != "" {
		return filepath.Join(r.dir, "."+filepath.Base(r.single)+".lock")
	}
	return r.path(FlockFile)
}

// readLayers reads the layers, the two concurrently in layered mode.
func (r *Registry) readLayers(ctx context.Context) (cur, dis *layer, err error) {
	return r.bothLayers(func(_ *layer, file string) (*layer, error) { return readLayer(ctx, file) })
}

// stale reports whether a layer file changed on disk since it was read.
func (r *Registry) stale() (bool, error) {
	for _, l := range []*layer{r.cur, r.dis} {
		if l == nil {
			continue
		}
		st, err := statStamp(l.file)
		if err != nil {
			return false, err
		}
		if st != l.st {
			return true, nil
		}
	}
	return false, nil
}

// revalidate reloads when a layer's size or mtime changed.
func (r *Registry) revalidate(ctx context.Context) error {
	stale, err := r.stale()
	if err != nil || !stale {
		return err
	}
	return r.load(ctx)
}

// isReadOnly reports errors that mean the directory cannot be written.
func isReadOnly(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}
