//go:build unix && !(linux || openbsd || solaris || illumos || dragonfly || darwin || ios || freebsd || netbsd)

package safefile

import "syscall"

func ctimeOf(*syscall.Stat_t) int64 { return 0 }
