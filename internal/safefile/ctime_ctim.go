//go:build linux || openbsd || solaris || illumos || dragonfly

package safefile

import "syscall"

func ctimeOf(st *syscall.Stat_t) int64 { return syscall.TimespecToNsec(st.Ctim) }
