package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/imageworks-ai/loader/sdk"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
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

// Save persists the staged changes: under an exclusive lock on
// .model_registry.lock it re-reads the layers, replays only this process's
// changes on them, writes the discovered layer (the file in single-file
// mode) atomically when its bytes change, and regenerates the snapshot when
// anything changed or it is stale. The curated file is never written. With
// nothing staged and a fresh snapshot nothing is written. While Save waits
// for the file lock, the Registry's other methods do not block.
//
// Errors: lock and I/O errors naming the path; ctx's error when it ends
// before the discovered layer is written; a *ParseError when a layer no
// longer parses; ErrNotFound or ErrCuratedField when a staged change no
// longer applies to what is on disk. On any of these the
// discovered layer is not written and the changes stay staged.
//
// Once the discovered layer is written the save has happened: the snapshot
// is then written even if ctx ends, and a failure to write it is logged,
// not returned (the next Open or Save regenerates it). A snapshot that is
// only stale is regenerated under ctx; its failure is logged as well, except
// that ctx's end is returned.
//
// An Update whose precondition (SetExpectedHashIfAbsent, say) no longer
// holds for what is on disk is dropped, its stored value kept, and the rest
// saved; so is an Add whose name was stored meanwhile (adding is "set only
// if absent"). SaveWithResult reports which.
func (r *Registry) Save(ctx context.Context) error {
	_, err := r.save(ctx)
	return err
}

func (r *Registry) save(ctx context.Context) (SaveResult, error) {
	if r.opts.ReadOnly {
		return SaveResult{}, fmt.Errorf("registry %s: %w", r.dir, ErrReadOnly)
	}
	// The file lock is taken before r.mu: another process may hold it for
	// long, and Entries and Get must not wait for it.
	fl, err := r.lock(ctx)
	if err != nil {
		return SaveResult{}, err
	}
	defer fl.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeTemps()

	cur, dis, err := r.rereadLayers(ctx)
	if err != nil {
		return SaveResult{}, err
	}
	if err := r.checkLayers(cur, dis); err != nil {
		return SaveResult{}, err
	}
	nd, kept, err := applyChanges(cur, dis, r.changes, r.curatedPath(), true)
	if err != nil {
		return SaveResult{}, err
	}
	res := SaveResult{Kept: sortKept(kept)}
	wrote := false
	if len(r.changes) > 0 {
		out, nl := nd.render()
		if dis.st.exists && bytes.Equal(out, dis.data()) || !dis.st.exists && len(nl.recs) == 0 {
			nd = dis
		} else {
			if err := ctx.Err(); err != nil {
				return SaveResult{}, err
			}
			if err := writeFileAtomic(r.discoveredPath(), out); err != nil {
				return SaveResult{}, err
			}
			wrote = true
			if nl.st, err = statStamp(r.discoveredPath()); err != nil {
				// The layer is written; an unknown stamp makes the next
				// call re-read it.
				r.log.Warn("cannot stat the registry file just written; it will be re-read", "error", err)
				nl.st = stamp{exists: true, Version: safefile.Version{Size: -1}}
			}
			nd = nl
		}
	}
	r.changes = nil
	r.cur, r.dis = cur, nd
	r.setView(buildView(cur, nd))
	if r.single != "" {
		return res, nil
	}
	return res, r.saveSnapshot(ctx, wrote)
}

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

// rereadLayers reads the layer files again; a file whose bytes equal what
// was read before keeps its parsed form.
func (r *Registry) rereadLayers(ctx context.Context) (cur, dis *layer, err error) {
	if r.single != "" {
		dis, err = rereadLayer(ctx, r.dis, r.single)
		return nil, dis, err
	}
	var cerr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cur, cerr = rereadLayer(ctx, r.cur, r.curatedPath())
	}()
	dis, err = rereadLayer(ctx, r.dis, r.discoveredPath())
	wg.Wait()
	if cerr != nil {
		return nil, nil, cerr
	}
	if err != nil {
		return nil, nil, err
	}
	return cur, dis, nil
}

func rereadLayer(ctx context.Context, old *layer, file string) (*layer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, fi, err := safefile.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return readLayer(ctx, file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading registry file: %w", err)
	}
	defer f.Close()
	if old != nil && old.st.exists && int64(len(old.data())) == fi.Size() {
		same, err := sameContent(f, old.data())
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		if same {
			l := *old
			l.st = stampOf(fi)
			return &l, nil
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
	}
	data, err := safefile.ReadAll(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	return parseLayer(file, data, stampOf(fi))
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

// removeTemps deletes temporary files left by writers that died mid-write.
// Every write happens under the save lock, so with the lock held no
// temporary file is in use.
func (r *Registry) removeTemps() {
	for _, f := range []string{r.discoveredPath(), r.path(SnapshotFile)} {
		matches, _ := filepath.Glob(safefile.TempPattern(f))
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// sameContent reports whether f holds exactly old, reading it in chunks so
// that an unchanged layer costs no second copy in memory.
func sameContent(f io.Reader, old []byte) (bool, error) {
	buf := make([]byte, min(len(old)+1, 1<<20))
	off := 0
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if off+n > len(old) || !bytes.Equal(buf[:n], old[off:off+n]) {
				return false, nil
			}
			off += n
		}
		if err == io.EOF {
			return off == len(old), nil
		}
		if err != nil {
			return false, err
		}
	}
}

// withoutCredentials returns rec, an entry's merged record as the snapshot
// holds it, with its credentials masked: a backend_config.base_url (or a
// host given as a whole URL) that carries a password or a credential-like
// query value is replaced by its redacted form (sdk.RedactURL), and the
// value of each secret flag in backend_config.extra_args (--api-key KEY,
// --hf-token=TOKEN; see sdk.IsSecretFlag) by sdk.Masked. The snapshot is a
// file the tool writes for other programs to read, and no such file
// stores a credential. The curated layer, which people write, keeps its
// values as they are, and so does the discovered layer, the runtime state
// activate and select read.
//
// The value is replaced as a member, whatever JSON spelling the layer used
// for it (escaped slashes, \u escapes); the new record is a copy, and ok
// is false (nothing to do) when no value holds a credential.
func withoutCredentials(e *Entry, rec []byte) (out []byte, ok bool) {
	bc := e.BackendConfig()
	for _, f := range []struct{ key, url string }{{"base_url", bc.BaseURL}, {"host", bc.Host}} {
		if !strings.Contains(f.url, "://") {
			continue
		}
		if red := sdk.RedactURL(f.url); red != f.url {
			rec, ok = doc.Set(rec, []string{keyBackendConfig, f.key}, quoted(red)), true
		}
	}
	if len(sdk.SecretArgs(bc.ExtraArgs)) > 0 {
		if args, found := extraArgsOf(rec); found {
			rec, ok = doc.Set(rec, []string{keyBackendConfig, "extra_args"}, redactedArgs(args, sdk.RedactArgs(bc.ExtraArgs))), true
		}
	}
	return rec, ok
}

// extraArgsOf returns the raw backend_config.extra_args of rec, the member
// BackendConfig reads (the last of its name).
func extraArgsOf(rec []byte) (doc.Value, bool) {
	args := doc.Value(rec).Get(keyBackendConfig, "extra_args")
	return args, args.Kind() == doc.List
}

// redactedArgs returns the JSON array raw (extra_args) with its string
// elements replaced, in order, by strs (its strings as sdk.RedactArgs
// masked them); other elements stay as they were.
func redactedArgs(raw doc.Value, strs []string) []byte {
	elems := []any{}
	i := 0
	for v := range raw.Elems() {
		if v.Kind() == doc.String && i < len(strs) {
			elems = append(elems, strs[i])
			i++
		} else {
			elems = append(elems, json.RawMessage(v))
		}
	}
	out, _ := doc.Encode(elems) // strings and valid JSON values always encode
	return out
}

// quoted is s as a JSON string.
func quoted(s string) []byte {
	out, _ := doc.Encode(s) // a string always encodes
	return out
}
