// Package safefile is the one way imageworks-loader opens, writes and locks
// files it is given by name: registry layers, the legacy registry and its
// split marker, .model_registry.lock, plugins.lock.json, the probe image and
// plugin binaries. It exists so that hostile or broken file-system objects
// are refused in one place, with one-line errors that name the file, instead
// of being handled (or not) at each call site.
//
// The rules:
//
//   - Reading (Open, ReadFile) never blocks: the file is opened with
//     O_NONBLOCK and O_NOCTTY, then fstat'ed, and anything but a regular file
//     (a FIFO, socket, device, directory) is refused with a *NotRegularError
//     wrapping ErrNotRegular. A FIFO put in place of a registry file fails at
//     once instead of hanging until a writer appears.
//   - A dangling symbolic link is never "no file": Open, ReadFile and Stat
//     return a *DanglingLinkError wrapping ErrDanglingLink, which does not
//     wrap fs.ErrNotExist, so callers that treat a missing file as empty or
//     optional fail closed instead. A link that resolves is followed.
//   - Writing (WriteAtomic, WriteFile) is atomic (temporary file in the same
//     folder, fsync, rename, fsync of the folder) and never goes through or
//     replaces a symbolic link: a link at the destination is refused with a
//     *SymlinkError wrapping ErrSymlink. Following it would let a link
//     committed to a repository make the tool overwrite any file the user
//     can write; replacing it would silently detach the file from what it
//     pointed to.
//   - Locking (Acquire, TryLock) takes an exclusive advisory lock (flock, through
//     github.com/gofrs/flock) on a lock file opened with O_NOFOLLOW and
//     O_NONBLOCK: a symbolic link or a non-regular file there is refused, so
//     a link cannot make even a read-only command create or lock a file
//     elsewhere.
//   - An executable written to be run soon after (a plugin or a stand-in
//     server in a test, the Python example's launcher) goes through
//     WriteExecutable, which keeps processes from being forked while it is
//     open for writing; otherwise running it can fail with "text file busy".
//
// Outside Unix, O_NONBLOCK and O_NOFOLLOW do not exist; the same checks are
// made with Lstat and Stat before opening, which leaves a short race there.
package safefile
