//go:build unix

package safefile

import (
	"io/fs"
	"syscall"
)

// sysVersion fills in what only the system's stat structure holds.
func sysVersion(fi fs.FileInfo, v *Version) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return
	}
	v.CTime = ctimeOf(st)
	v.Inode = uint64(st.Ino)
	v.Device = uint64(st.Dev)
}
