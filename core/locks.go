package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// LockKind says what a stored expected hash covers.
type LockKind string

const (
	// LockFull: the expected hash is the full-tree aggregate of the
	// registry format; every selected file is covered.
	LockFull LockKind = "full"
	// LockLegacyPartial: the expected hash is the earlier Python tool's
	// partial aggregate (see artifact.LegacyPartialAggregate): only
	// root-level config and tokenizer files are covered, never the
	// weights. `lock NAME --upgrade` re-pins it as a full lock.
	LockLegacyPartial LockKind = "legacy-partial"
)

// LockState is an entry's version lock after a lock, unlock or verify.
type LockState struct {
	Name                    string `json:"name"`
	Locked                  bool   `json:"locked"`
	ExpectedAggregateSHA256 string `json:"expected_aggregate_sha256"`
	// LockKind is what the expected hash covers; omitted when none is
	// stored.
	LockKind LockKind `json:"lock_kind,omitempty"`
	// PreviousExpectedAggregateSHA256 is the expected hash a re-pin
	// replaced; omitted when there was none.
	PreviousExpectedAggregateSHA256 string `json:"previous_expected_aggregate_sha256,omitempty"`
	// PinsOnNextVerify is true when the entry is locked without an
	// expected hash: the next verify pins what it finds.
	PinsOnNextVerify bool `json:"pins_on_next_verify,omitempty"`
	// Changed is false when the call found the lock already in the asked
	// state and wrote nothing.
	Changed bool `json:"changed"`
	// KeptExpected is true when lock --set-expected (or --upgrade) found
	// an expected hash already stored, or stored by another process while
	// it hashed, and kept it.
	KeptExpected bool `json:"kept_expected,omitempty"`
	// Fleet is the fleet's pin for the entry after the call; omitted
	// without a fleet, or when it could not be read.
	Fleet *FleetPin `json:"fleet,omitempty"`
}

// LockOptions refine Lock.
type LockOptions struct {
	// SetExpected hashes the artifacts and stores the aggregate as the
	// expected one when none is stored yet.
	SetExpected bool
	// Upgrade re-pins a legacy partial lock as a full one: only while the
	// partial aggregate still matches the expected hash (so tampering is
	// never blessed), the whole model folder is hashed and its aggregate
	// replaces the expected hash. A full lock is left as it is.
	Upgrade bool
	// Repin is the deliberate update after the model's files were
	// replaced on purpose: hash the folder now, store that aggregate as
	// expected even when another is stored, and lock. The previous expected
	// hash is returned.
	Repin bool
	// Progress receives hashing progress in bytes; may be nil.
	Progress func(done, total int64)
}

// ErrNoExpectedHash is wrapped when Lock with Upgrade finds no expected hash
// to upgrade.
var ErrNoExpectedHash = errors.New("no expected hash stored")

// ErrLockOptions is wrapped when Lock is asked for more than one of
// SetExpected, Upgrade and Repin.
var ErrLockOptions = errors.New("set-expected, upgrade and repin exclude each other")

// ErrRepinRaced is wrapped when a re-pin finds that another process changed
// the expected hash while this one hashed: the other value is kept.
var ErrRepinRaced = errors.New("the expected hash was changed by another process meanwhile")

// Lock sets the entry's version lock and saves it in the discovered layer.
// With SetExpected and no expected hash stored, the artifacts are hashed
// first; an expected hash already stored, or stored by another process
// while hashing, is kept (KeptExpected). With Upgrade, see LockOptions.
// With Repin, see LockOptions. Without an expected hash and without
// SetExpected, PinsOnNextVerify says the next verify pins what it finds.
// Whenever an expected hash is stored, the manifest it was computed from
// is stored with it (version_lock.expected_files). name may be a unique
// alias (see registry.Registry.Get).
//
// With a fleet (Options.Fleet) the fleet's pin for the entry follows the
// local change; see lockFleet.
//
// Errors wrap registry.ErrNotFound, registry.ErrAmbiguousAlias,
// registry.ErrInvalidField (a version_lock field of the wrong type), the
// artifact package's errors, ErrCorruptArtifact (a file that does not match
// its digest is never pinned), ErrNoExpectedHash, ErrLockOptions,
// ErrRepinRaced, or the save's. A locked entry whose files cannot be
// hashed, and an Upgrade whose partial aggregate no longer matches, give a
// *artifact.LockViolationError; nothing is saved.
func (l *Loader) Lock(ctx context.Context, name string, opts LockOptions) (LockState, error) {
	if l.opts.Fleet != nil {
		return l.lockFleet(ctx, name, opts)
	}
	return l.lockLocal(ctx, name, opts)
}

// lockLocal is Lock on this host's registry alone.
func (l *Loader) lockLocal(ctx context.Context, name string, opts LockOptions) (LockState, error) {
	if n := btoi(opts.SetExpected) + btoi(opts.Upgrade) + btoi(opts.Repin); n > 1 {
		return LockState{}, ErrLockOptions
	}
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	vl, err := e.CheckedVersionLock()
	if err != nil {
		return LockState{}, err
	}
	switch {
	case opts.Upgrade:
		return l.upgrade(ctx, e, opts)
	case opts.Repin:
		return l.repin(ctx, e, opts)
	}
	st := LockState{Name: e.Name(), Locked: true, ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256,
		PinsOnNextVerify: vl.ExpectedAggregateSHA256 == "" && !opts.SetExpected}
	var res artifact.Result
	hashed := false
	if opts.SetExpected {
		if vl.ExpectedAggregateSHA256 != "" {
			st.KeptExpected = true
		} else {
			res, err = l.hash(ctx, e, opts.Progress)
			if err != nil {
				return LockState{}, hashViolation(e, res, err)
			}
			hashed = true
		}
	}
	if vl.Locked && !hashed {
		st.LockKind = l.lockKind(ctx, e)
		return st, nil
	}
	if err := l.setLocked(ctx, e.Name(), true); err != nil {
		return LockState{}, err
	}
	pinned := false
	if hashed {
		err = l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
			if pinned, err = pinIfAbsent(ed, res); err != nil || !pinned {
				return err
			}
			return l.setVerified(ed, res)
		})
		if err != nil {
			return LockState{}, err
		}
	}
	return l.saveLock(ctx, st, hashed && !pinned)
}

// upgrade is Lock with Upgrade.
func (l *Loader) upgrade(ctx context.Context, e *registry.Entry, opts LockOptions) (LockState, error) {
	vl := e.VersionLock()
	st := LockState{Name: e.Name(), Locked: true, ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256}
	if vl.ExpectedAggregateSHA256 == "" {
		return LockState{}, fmt.Errorf("upgrading the lock of %q: %w (lock it with --set-expected instead)", e.Name(), ErrNoExpectedHash)
	}
	if storedKind(e) == LockFull {
		st.LockKind = LockFull
		if vl.Locked {
			return st, nil
		}
		if err := l.setLocked(ctx, e.Name(), true); err != nil {
			return LockState{}, err
		}
		return l.saveLock(ctx, st, false)
	}
	part, err := l.legacyPartial(ctx, e)
	if err != nil {
		return LockState{}, hashViolation(e, part, err)
	}
	if part.Aggregate != vl.ExpectedAggregateSHA256 {
		lv := violation(e, part.Aggregate, part.Files, part)
		if lv.Err == nil {
			lv.Drift = artifact.Diff(legacyCovered(e), part.Files)
		}
		return LockState{}, lv
	}
	res, err := l.hash(ctx, e, opts.Progress)
	if err != nil {
		return LockState{}, hashViolation(e, res, err)
	}
	if err := l.setLocked(ctx, e.Name(), true); err != nil {
		return LockState{}, err
	}
	replaced := false
	err = l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
		if replaced, err = ed.ReplaceExpectedHash(vl.ExpectedAggregateSHA256, res.Aggregate); err != nil || !replaced {
			return err
		}
		return l.setPinned(ed, res)
	})
	if err != nil {
		return LockState{}, err
	}
	return l.saveLock(ctx, st, !replaced)
}

// repin is Lock with Repin: the files are hashed now and their aggregate
// becomes the expected hash, replacing the stored one, conditionally on it
// being the one read (a change by another process meanwhile is kept and
// reported with ErrRepinRaced). Files that cannot be hashed pin nothing.
func (l *Loader) repin(ctx context.Context, e *registry.Entry, opts LockOptions) (LockState, error) {
	vl := e.VersionLock()
	res, err := l.hash(ctx, e, opts.Progress)
	if err != nil {
		return LockState{}, fmt.Errorf("re-pinning %q: %w", e.Name(), err)
	}
	st := LockState{Name: e.Name(), Locked: true, PreviousExpectedAggregateSHA256: vl.ExpectedAggregateSHA256}
	err = l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
		set, err := ed.SetExpectedHash(vl.ExpectedAggregateSHA256, res.Aggregate)
		if err != nil || !set {
			return err
		}
		if err := ed.SetLocked(true); err != nil {
			return err
		}
		return l.setPinned(ed, res)
	})
	if err != nil {
		return LockState{}, err
	}
	out, err := l.saveLock(ctx, st, false)
	if err != nil {
		return LockState{}, err
	}
	if out.KeptExpected || out.ExpectedAggregateSHA256 != res.Aggregate {
		return LockState{}, fmt.Errorf("re-pinning %q: %w (now %s); nothing was re-pinned: check the files and run it again",
			e.Name(), ErrRepinRaced, orNone(out.ExpectedAggregateSHA256))
	}
	return out, nil
}

// pinIfAbsent stages res's aggregate as the expected hash, with its
// manifest, when none is stored (see registry.Edit.SetExpectedHashIfAbsent).
func pinIfAbsent(ed *registry.Edit, res artifact.Result) (bool, error) {
	pinned, err := ed.SetExpectedHashIfAbsent(res.Aggregate)
	if err != nil || !pinned {
		return pinned, err
	}
	return true, ed.SetExpectedFiles(registryFiles(res.Files))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// setLocked stages version_lock.locked.
func (l *Loader) setLocked(ctx context.Context, name string, locked bool) error {
	return l.reg.Update(ctx, name, func(ed *registry.Edit) error {
		return ed.SetLocked(locked)
	})
}

// setPinned stages a hashing result whose aggregate was just staged as the
// expected hash: its manifest as the pinned one, and as the artifacts.
func (l *Loader) setPinned(ed *registry.Edit, res artifact.Result) error {
	if err := ed.SetExpectedFiles(registryFiles(res.Files)); err != nil {
		return err
	}
	return l.setVerified(ed, res)
}

// setVerified stages a hashing result as the entry's artifacts, stamped now.
func (l *Loader) setVerified(ed *registry.Edit, res artifact.Result) error {
	if err := setArtifacts(ed, res); err != nil {
		return err
	}
	return ed.SetLastVerified(l.timestamp())
}

// saveLock saves the staged lock changes and completes st from what is
// stored afterwards. kept says the expected hash was kept already when the
// edit was made; a save that drops the pin says so too.
func (l *Loader) saveLock(ctx context.Context, st LockState, kept bool) (LockState, error) {
	res, err := l.reg.SaveWithResult(ctx)
	if err != nil {
		return LockState{}, err
	}
	e, err := l.reg.Get(ctx, st.Name)
	if err != nil {
		return LockState{}, err
	}
	st.KeptExpected = st.KeptExpected || kept || res.KeptFor(st.Name)
	st.ExpectedAggregateSHA256 = e.VersionLock().ExpectedAggregateSHA256
	st.LockKind = l.lockKind(ctx, e)
	st.Changed = true
	return st, nil
}

// Unlock clears the entry's version lock; the expected hash stays. An entry
// already unlocked is left as it is and nothing is written. name may be a
// unique alias. With a fleet, the fleet's pin is unlocked too (see
// lockFleet).
func (l *Loader) Unlock(ctx context.Context, name string) (LockState, error) {
	if l.opts.Fleet != nil {
		return l.unlockFleet(ctx, name)
	}
	return l.unlockLocal(ctx, name)
}

// unlockLocal is Unlock on this host's registry alone.
func (l *Loader) unlockLocal(ctx context.Context, name string) (LockState, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	vl, err := e.CheckedVersionLock()
	if err != nil {
		return LockState{}, err
	}
	st := LockState{Name: e.Name(), Locked: false, ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256,
		LockKind: l.lockKind(ctx, e)}
	if !vl.Locked {
		return st, nil
	}
	if err := l.setLocked(ctx, e.Name(), false); err != nil {
		return LockState{}, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return LockState{}, err
	}
	st.Changed = true
	return st, nil
}

// artifactFiles converts a stored manifest for comparison.
func artifactFiles(fs []registry.ArtifactFile) []artifact.File {
	out := make([]artifact.File, len(fs))
	for i, f := range fs {
		out[i] = artifact.File{Path: f.Path, SHA256: f.SHA256}
	}
	return out
}

// timestamp is now as the registry writes timestamps
// (registry.FormatTimestamp).
func (l *Loader) timestamp() string {
	return registry.FormatTimestamp(l.opts.Now())
}

// setArtifacts stores a hashing result as the entry's artifacts.
func setArtifacts(ed *registry.Edit, res artifact.Result) error {
	return ed.SetArtifacts(registry.Artifacts{AggregateSHA256: res.Aggregate, Files: registryFiles(res.Files)})
}

// registryFiles converts hashed files for storing.
func registryFiles(fs []artifact.File) []registry.ArtifactFile {
	out := make([]registry.ArtifactFile, len(fs))
	for i, f := range fs {
		out[i] = registry.ArtifactFile{Path: f.Path, SHA256: f.SHA256}
	}
	return out
}

// ErrCorruptArtifact is wrapped by errors reporting a file whose content
// does not match the digest its backend names it by (an Ollama blob, say).
// Verify reports it as a lock violation for a locked entry.
var ErrCorruptArtifact = errors.New("corrupt artifact")

// hash selects and hashes the entry's artifacts, and checks every file
// whose backend knows its digest. A corrupt file gives an error wrapping
// ErrCorruptArtifact together with the full result.
func (l *Loader) hash(ctx context.Context, e *registry.Entry, progress func(done, total int64)) (artifact.Result, error) {
	src, digests, err := l.artifactSource(ctx, e)
	if err != nil {
		return artifact.Result{}, err
	}
	res, err := artifact.Collect(ctx, src, artifact.Options{Workers: l.opts.HashWorkers, Progress: progress})
	if err != nil {
		return artifact.Result{}, fmt.Errorf("hashing %q: %w", e.Name(), err)
	}
	var corrupt []string
	for _, f := range res.Files {
		if want := digests[f.Path]; want != "" && want != f.SHA256 {
			corrupt = append(corrupt, fmt.Sprintf("%s hashes to %s", f.Path, f.SHA256))
		}
	}
	if len(corrupt) > 0 {
		// The result comes back too, so a lock violation can show the drift.
		return res, fmt.Errorf("%q: corrupt in %s (content does not match the digest it is named by): %s: %w",
			e.Name(), res.Root, strings.Join(corrupt, ", "), ErrCorruptArtifact)
	}
	return res, nil
}

// artifactSource says which files hold e's model, per the contract. A
// model_path in a scheme form (ollama:/name:tag) names no local folder: its
// backend lists the files, with the digests they must have.
func (l *Loader) artifactSource(ctx context.Context, e *registry.Entry) (artifact.Source, map[string]string, error) {
	src := artifact.Source{
		DownloadPath: e.DownloadPath(),
		ModelPath:    e.BackendConfig().ModelPath,
		BaseDir:      l.reg.Dir(),
		Home:         l.opts.Getenv("HOME"),
	}
	if !isSchemePath(src.ModelPath) {
		return src, nil, nil
	}
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return artifact.Source{}, nil, fmt.Errorf("artifacts of %q: %w", e.Name(), err)
	}
	set, err := callArtifacts(ctx, b, e.Backend(), sdk.ArtifactsRequest{Entry: l.sdkEntry(e)})
	if errors.Is(err, sdk.ErrNotImplemented) {
		return src, nil, nil // Collect reports that the path names no folder
	}
	if err != nil {
		return artifact.Source{}, nil, fmt.Errorf("artifacts of %q from backend %q: %w: %w", e.Name(), e.Backend(), artifact.ErrArtifactsMissing, err)
	}
	digests := make(map[string]string, len(set.Files))
	paths := make([]string, len(set.Files))
	for i, f := range set.Files {
		paths[i] = f.Path
		digests[f.Path] = f.SHA256
	}
	return artifact.Source{Listed: paths, ModelPath: set.Root, BaseDir: l.reg.Dir()}, digests, nil
}

// isSchemePath reports whether p is a scheme form such as ollama:/name:tag
// rather than a local path (a Windows drive letter is not a scheme).
func isSchemePath(p string) bool {
	i := strings.IndexByte(p, ':')
	if i < 2 {
		return false
	}
	for _, r := range p[:i] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}
