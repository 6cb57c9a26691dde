//go:build unix

package safefile

import "syscall"

// ReadFlags open a file for reading without blocking, whatever it is: a
// FIFO or terminal returns at once instead of waiting for a writer.
const ReadFlags = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_NOCTTY

// lockFlags open (creating) a lock file without following a final symbolic
// link and without blocking.
const lockFlags = syscall.O_CREAT | syscall.O_RDONLY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_NOCTTY
