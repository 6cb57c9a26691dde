package registry

import (
	"context"
	"time"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// DefaultLockNotice is how long a save waits for another process's lock
// before it logs that it waits.
const DefaultLockNotice = time.Second

// lock takes the exclusive save lock, waiting for it until ctx ends; after
// Options.LockNotice it logs (at warn level, so the CLI shows it by
// default) that it waits, and then, at info level, when it got the lock
// and how long it waited. A symbolic link or a non-regular file at the lock
// path is refused (safefile.ErrSymlink, safefile.ErrNotRegular) without
// creating or locking anything at the link's target.
func (r *Registry) lock(ctx context.Context) (*safefile.Lock, error) {
	path := r.lockPath()
	notice := r.opts.LockNotice
	if notice == 0 {
		notice = DefaultLockNotice
	}
	start := time.Now()
	waited := false
	l, err := safefile.Acquire(ctx, path, notice, func() {
		waited = true
		r.log.Warn("waiting for the registry lock; another process is saving", "lock", path)
	})
	if err != nil {
		return nil, err
	}
	if waited {
		r.log.Info("got the registry lock", "lock", path, "waited", time.Since(start).Round(time.Millisecond))
	}
	return l, nil
}
