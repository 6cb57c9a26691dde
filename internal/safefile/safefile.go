package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Sentinels, checked with errors.Is.
var (
	// ErrNotRegular is wrapped when a file given by name is a FIFO, socket,
	// device, directory or anything else but a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrDanglingLink is wrapped when a name is a symbolic link whose target
	// does not exist. It does not wrap fs.ErrNotExist.
	ErrDanglingLink = errors.New("dangling symbolic link")
	// ErrSymlink is wrapped when a file that would be written or locked is
	// a symbolic link.
	ErrSymlink = errors.New("is a symbolic link")
)

// NotRegularError is the error for a name that is not a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode // the type bits found
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s: is %s, not a regular file", e.Path, Kind(e.Mode))
}

// Unwrap returns ErrNotRegular.
func (e *NotRegularError) Unwrap() error { return ErrNotRegular }

// DanglingLinkError is the error for a symbolic link to nothing.
type DanglingLinkError struct {
	Path, Target string
}

func (e *DanglingLinkError) Error() string {
	return fmt.Sprintf("%s: dangling symbolic link to %s (its target does not exist)", e.Path, e.Target)
}

// Unwrap returns ErrDanglingLink.
func (e *DanglingLinkError) Unwrap() error { return ErrDanglingLink }

// SymlinkError is the error for a symbolic link where the tool writes or
// locks a file.
type SymlinkError struct {
	Path, Target string
	Op           string // "write" or "lock"
}

func (e *SymlinkError) Error() string {
	hint := "replace the link with a copy of the file it points to, or point the tool at the folder the file is in"
	if e.Op == "lock" {
		hint = "remove the link; the tool creates this file itself"
	}
	return fmt.Sprintf("%s: is a symbolic link to %s; refusing to %s through it: %s", e.Path, e.Target, e.Op, hint)
}

// Unwrap returns ErrSymlink.
func (e *SymlinkError) Unwrap() error { return ErrSymlink }

// Kind names a file type for messages: "a named pipe (FIFO)", "a directory".
func Kind(m fs.FileMode) string {
	switch t := m.Type(); {
	case t == 0:
		return "a regular file"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a device"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "a special file (" + t.String() + ")"
	}
}

// CheckRegular returns a *NotRegularError naming path unless fi describes
// a regular file.
func CheckRegular(path string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return &NotRegularError{Path: path, Mode: fi.Mode().Type()}
}

// Open opens path for reading without blocking and returns it with its
// fstat. Errors: a *NotRegularError (ErrNotRegular) for anything but a
// regular file, which is closed again at once; a *DanglingLinkError
// (ErrDanglingLink) for a link to nothing; otherwise os.OpenFile's error
// (a *fs.PathError; fs.ErrNotExist when the name does not exist at all).
func Open(path string) (*os.File, fs.FileInfo, error) {
	if err := precheck(path); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, ReadFlags, 0)
	if err != nil {
		return nil, nil, dangling(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if err := CheckRegular(path, fi); err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// ReadFile reads the regular file at path whole, as Open opens it, and
// returns its bytes and the fstat taken before reading. Its errors are
// Open's and read errors naming the path.
func ReadFile(path string) ([]byte, fs.FileInfo, error) {
	f, fi, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	data, err := ReadAll(f, fi.Size())
	if err != nil {
		return nil, nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	return data, fi, nil
}

// ReadAll reads r to its end into one buffer sized from size (a stat's
// guess; the file may have grown).
func ReadAll(r io.Reader, size int64) ([]byte, error) {
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Stat is os.Stat, except that a dangling symbolic link is a
// *DanglingLinkError, not fs.ErrNotExist.
func Stat(path string) (fs.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, dangling(path, err)
	}
	return fi, nil
}

// dangling turns a not-exist error for a name that is a symbolic link into
// a *DanglingLinkError.
func dangling(path string, err error) error {
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if target, lerr := os.Readlink(path); lerr == nil {
		return &DanglingLinkError{Path: path, Target: target}
	}
	return err
}

// Version identifies one version of a file for caches: a change of
// content shows in one of its fields even when an editor restores the
// modification time (the change time then moves) or replaces the file by a
// rename (the inode changes). Outside Unix only Size and ModTime are set.
// Versions compare with ==.
type Version struct {
	Size    int64
	ModTime int64 // UnixNano
	CTime   int64 // status change time, UnixNano; 0 where unknown
	Inode   uint64
	Device  uint64
}

// VersionOf returns fi's Version.
func VersionOf(fi fs.FileInfo) Version {
	v := Version{Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	sysVersion(fi, &v)
	return v
}
