//go:build !unix

package safefile

import "os"

// ReadFlags open a file for reading. Outside Unix there is no O_NONBLOCK;
// Open checks the file's type with Stat before opening it.
const ReadFlags = os.O_RDONLY

// lockFlags open (creating) a lock file; TryLock checks for a link first.
const lockFlags = os.O_CREATE | os.O_RDWR
