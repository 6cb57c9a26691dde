package safefile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"github.com/gofrs/flock"
)

// lockRetry is how often Lock tries again while another process holds the
// lock. Saves hold it for milliseconds, so waiting long between tries
// would cost more than the tries.
const lockRetry = 2 * time.Millisecond

// Lock is an exclusive advisory lock held on a file.
type Lock struct {
	fl *flock.Flock
}

// Unlock releases the lock and closes the file; the file stays.
func (l *Lock) Unlock() error { return l.fl.Unlock() }

// TryLock takes an exclusive advisory lock on path without waiting,
// creating the file (mode 0600 before umask) when it does not exist. ok is
// false, with no error, when another process holds the lock.
//
// The file is opened with O_NOFOLLOW and O_NONBLOCK: a symbolic link at
// path is refused with a *SymlinkError (ErrSymlink), and a FIFO, device or
// other non-regular file with a *NotRegularError (ErrNotRegular), before
// anything is created or locked at the link's target. Other errors are the
// system's, naming path.
func TryLock(path string) (l *Lock, ok bool, err error) {
	if err := checkLockTarget(path); err != nil {
		return nil, false, err
	}
	fl := flock.New(path, flock.SetFlag(lockFlags))
	ok, err = fl.TryLock()
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			// A link appeared since the check; O_NOFOLLOW refused it.
			return nil, false, checkLockTarget(path)
		}
		return nil, false, fmt.Errorf("locking %s: %w", path, err)
	}
	if !ok {
		return nil, false, nil
	}
	fi, err := fl.Stat()
	if err == nil {
		err = CheckRegular(path, fi)
	}
	if err != nil {
		fl.Unlock()
		return nil, false, err
	}
	return &Lock{fl: fl}, true, nil
}

// Acquire takes the exclusive lock on path as TryLock does, trying again
// until it gets it or ctx ends (the error then wraps ctx's). When it has
// waited notice (and notice > 0), it calls waiting once, so the caller can
// say what it waits for.
func Acquire(ctx context.Context, path string, notice time.Duration, waiting func()) (*Lock, error) {
	var told <-chan time.Time
	if notice > 0 && waiting != nil {
		t := time.NewTimer(notice)
		defer t.Stop()
		told = t.C
	}
	retry := time.NewTicker(lockRetry)
	defer retry.Stop()
	for {
		l, ok, err := TryLock(path)
		if err != nil {
			return nil, err
		}
		if ok {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("locking %s: %w", path, ctx.Err())
		case <-told:
			waiting()
			told = nil
		case <-retry.C:
		}
	}
}

// checkLockTarget refuses a symbolic link or a non-regular file at path; a
// missing path is fine (TryLock creates it).
func checkLockTarget(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("locking %s: %w", path, err)
	}
	if fi.Mode().Type()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return &SymlinkError{Path: path, Target: target, Op: "lock"}
	}
	return CheckRegular(path, fi)
}
