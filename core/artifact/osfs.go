package artifact

import (
	"io/fs"
	"os"
	"syscall"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// An Opener opens the folder at root, an absolute clean path, as a file
// system. Collect calls it once per call and closes the result when it
// implements io.Closer. Tests pass in-memory trees (testing/fstest.MapFS);
// trees that implement fs.ReadLinkFS get the symbolic-link checks.
type Opener func(root string) (fs.FS, error)

// OSOpener is the default Opener. It opens root with os.OpenRoot, so no
// name, link or race can reach outside it, and opens files with O_NONBLOCK
// so that a file replaced by a FIFO after it was checked cannot block.
//
// A root that is not a folder gives an error wrapping syscall.ENOTDIR, found
// by stat without opening it (os.OpenRoot would block on a FIFO).
func OSOpener(root string) (fs.FS, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: root, Err: syscall.ENOTDIR}
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return &osFS{root: r, FS: r.FS()}, nil
}

// osFS is an os.Root seen as an fs.FS that opens files non-blocking.
type osFS struct {
	root *os.Root
	fs.FS
}

// Open opens name for reading without blocking on special files.
func (o *osFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	return o.root.OpenFile(name, safefile.ReadFlags, 0)
}

func (o *osFS) ReadLink(name string) (string, error)   { return o.FS.(fs.ReadLinkFS).ReadLink(name) }
func (o *osFS) Lstat(name string) (fs.FileInfo, error) { return o.FS.(fs.ReadLinkFS).Lstat(name) }
func (o *osFS) Stat(name string) (fs.FileInfo, error)  { return o.FS.(fs.StatFS).Stat(name) }
func (o *osFS) ReadDir(name string) ([]fs.DirEntry, error) {
	return o.FS.(fs.ReadDirFS).ReadDir(name)
}

// Close releases the root.
func (o *osFS) Close() error { return o.root.Close() }
