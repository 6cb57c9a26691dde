package registry

import (
	"context"
	"io"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// saveSnapshot regenerates the snapshot after a save when the discovered
// layer was written (wrote) or the snapshot is stale. Failures are logged;
// only ctx's end is returned, and only when nothing was written.
func (r *Registry) saveSnapshot(ctx context.Context, wrote bool) error {
	if wrote {
		// The change is on disk: finish the snapshot whatever ctx does.
		ctx = context.WithoutCancel(ctx)
	}
	stale, err := r.snapshotStale()
	if err != nil {
		r.log.Warn("cannot check the snapshot; regenerating it", "file", r.path(SnapshotFile), "error", err)
		stale = true
	}
	if !wrote && !stale {
		return nil
	}
	if err := r.writeSnapshot(ctx); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		r.log.Warn("writing the snapshot failed; the next Open or Save regenerates it",
			"file", r.path(SnapshotFile), "error", err)
	}
	return nil
}

// snapshotStale reports whether the snapshot is missing or older than a
// layer as last read.
func (r *Registry) snapshotStale() (bool, error) {
	st, err := statStamp(r.path(SnapshotFile))
	if err != nil {
		return false, err
	}
	if !st.exists {
		return true, nil
	}
	return st.ModTime < r.cur.st.ModTime || st.ModTime < r.dis.st.ModTime, nil
}

// writeSnapshot writes every merged entry of the base state, sorted by
// name, to model_registry.json.
func (r *Registry) writeSnapshot(ctx context.Context) error {
	entries := buildView(r.cur, r.dis).entries
	return writeAtomic(r.path(SnapshotFile), func(w io.Writer) error {
		return doc.WriteArray(w, len(entries), func(dst []byte, i int) ([]byte, error) {
			if i%256 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			e := entries[i]
			start := len(dst)
			dst = e.appendMerged(dst)
			if rec, ok := withoutCredentials(e, dst[start:]); ok {
				dst = append(dst[:start], rec...)
			}
			return dst, nil
		})
	})
}

// refreshSnapshot regenerates a stale snapshot after Open. It only writes
// when it gets the save lock at once and the layers are still as read;
// failures are logged, and a read-only directory is silently accepted.
func (r *Registry) refreshSnapshot(ctx context.Context) {
	stale, err := r.snapshotStale()
	if err != nil || !stale {
		return
	}
	fl, ok, err := safefile.TryLock(r.lockPath())
	if err != nil {
		if isReadOnly(err) {
			r.log.Debug("snapshot is stale but the registry directory is read-only", "dir", r.dir)
		} else {
			r.log.Warn("snapshot is stale but the save lock cannot be taken", "error", err)
		}
		return
	}
	if !ok {
		return // a save in progress writes the snapshot
	}
	defer fl.Unlock()
	if changed, err := r.stale(); err != nil || changed {
		return
	}
	if err := r.writeSnapshot(ctx); err != nil {
		if isReadOnly(err) {
			r.log.Debug("snapshot is stale but the registry directory is read-only", "dir", r.dir)
			return
		}
		r.log.Warn("regenerating the snapshot failed", "file", r.path(SnapshotFile), "error", err)
	}
}
