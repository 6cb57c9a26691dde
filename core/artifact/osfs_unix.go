//go:build unix

package artifact

import "syscall"

// openFlags never block: opening a FIFO or terminal returns at once.
const openFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY
