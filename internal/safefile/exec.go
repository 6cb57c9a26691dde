package safefile

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// WriteExecutable writes what r yields to path (created or truncated, mode
// perm) for it to be run soon after, as tests do with plugins and stand-in
// servers. The file is open for writing only while no process can be
// forked (syscall.ForkLock is held): a child forked meanwhile would inherit
// the writable descriptor until it execs, and running the file then fails
// with "text file busy" (ETXTBSY, see golang.org/issue/22315). Forks wait
// for the write, so keep r quick (a file or a buffer, not the network).
func WriteExecutable(path string, r io.Reader, perm fs.FileMode) (err error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(f, r); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
