//go:build unix && !linux

package supervise

import (
	"errors"
	"syscall"
)

// groupLive reports whether process group pgid has a member. Without
// /proc a zombie member cannot be told from a live one, so it counts as
// live until its parent reaps it.
func groupLive(pgid int) bool {
	return !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
}
