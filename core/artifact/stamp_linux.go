//go:build linux

package artifact

import (
	"fmt"
	"io/fs"
	"syscall"
)

// sysStamp is the inode and change time of fi, where the system tells.
func sysStamp(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	sec, nsec := st.Ctim.Unix()
	return fmt.Sprintf("%d:%d.%d", st.Ino, sec, nsec)
}
