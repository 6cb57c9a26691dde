package safefile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// TempPattern is the glob of the temporary files WriteAtomic and WriteNew
// leave beside path when the process dies mid-write; a caller that knows
// no writer is active (it holds the lock every writer takes) may remove
// them.
func TempPattern(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
}

// WriteAtomic replaces path with what write produces: a temporary file in
// the same folder, fsync, rename over path, fsync of the folder. A crash at
// any point leaves either the old or the new file. An existing file keeps
// its permissions; a new one gets perm.
//
// A symbolic link at path is refused with a *SymlinkError (ErrSymlink) and
// nothing is written: the write would otherwise replace the link, and
// following it would write wherever it points. Other errors name path.
func WriteAtomic(path string, perm fs.FileMode, write func(w io.Writer) error) (err error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			return &SymlinkError{Path: path, Target: target, Op: "write"}
		}
		perm = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := fill(f, perm, write); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// rename never follows a link at path: a link created since the check
	// above is replaced, not written through.
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return SyncDir(dir)
}

// WriteFile is WriteAtomic for bytes in memory.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return WriteAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteNew creates path holding data, atomically and only if nothing by
// that name exists (not even a dangling link): the data is written to a
// temporary file, fsynced, and hard-linked to path, so path never exists
// half-written. Errors wrap fs.ErrExist when the name is taken. Where hard
// links are not supported it falls back to an exclusive create, which a
// crash can leave short.
func WriteNew(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := fill(f, perm, func(w io.Writer) error { _, err := w.Write(data); return err }); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err = os.Link(tmp, path)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		err = createExclusive(path, data, perm)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return SyncDir(dir)
}

// fill writes f through a buffer, sets perm, fsyncs and closes it.
func fill(f *os.File, perm fs.FileMode, write func(w io.Writer) error) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// createExclusive writes data to a new file, failing with fs.ErrExist when
// path exists; the file is fsynced.
func createExclusive(path string, data []byte, perm fs.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Remove removes path and fsyncs its folder; a missing file is not an
// error.
func Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a folder so a rename inside it is durable. Platforms that
// cannot sync folders are not an error.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // folders cannot be opened for syncing there; renames are metadata-journaled
	}
	d, err := os.OpenFile(dir, ReadFlags, 0)
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	defer d.Close()
	if fi, err := d.Stat(); err == nil && !fi.IsDir() {
		return fmt.Errorf("syncing directory %s: is %s", dir, Kind(fi.Mode()))
	}
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
