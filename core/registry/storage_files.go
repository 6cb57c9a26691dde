package registry

import (
	"io"

	"github.com/imageworks-ai/loader/internal/safefile"
)

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
