package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/registry"
)

// Verification is the outcome of a successful Verify.
type Verification struct {
	Name            string `json:"name"`
	AggregateSHA256 string `json:"aggregate_sha256"`
	LastVerified    string `json:"last_verified"`
	Locked          bool   `json:"locked"`
	// LockKind is what the stored expected hash covers; omitted when none
	// is stored. LockLegacyPartial means the lock held only as the earlier
	// Python tool's partial lock: the weights are not covered.
	LockKind LockKind `json:"lock_kind,omitempty"`
	// ExpectedAggregateSHA256 is the stored expected hash, "" when none.
	ExpectedAggregateSHA256 string `json:"expected_aggregate_sha256"`
	// KeptExpected is true when a locked entry without an expected hash
	// would have adopted this aggregate but another process stored one
	// meanwhile, which was kept.
	KeptExpected bool  `json:"kept_expected,omitempty"`
	Files        int   `json:"files"`
	Bytes        int64 `json:"bytes"`
}

// VerifyOptions refine Verify.
type VerifyOptions struct {
	// Progress receives hashing progress in bytes; may be nil.
	Progress func(done, total int64)
}

// Verify recomputes the entry's aggregate hash (name may be a unique
// alias). When the entry is locked with an expected hash and the two
// differ, the earlier Python tool's partial aggregate is computed too: if
// it matches, the lock holds as a legacy partial lock (LockKind
// LockLegacyPartial) and only last_verified is saved, nothing re-pinned.
// Otherwise it returns a *artifact.LockViolationError (wrapping
// artifact.ErrLockViolation) naming the files changed, missing and added,
// and saves nothing. Artifacts that cannot be found, or a folder with no
// file at all, are a violation for a locked entry and an error wrapping
// artifact.ErrArtifactsMissing otherwise. On success the artifacts, the
// last_verified stamp and, for a locked entry with no expected hash yet,
// the expected hash are saved in the discovered layer (one stored
// meanwhile by another process is kept).
func (l *Loader) Verify(ctx context.Context, name string, opts VerifyOptions) (Verification, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Verification{}, err
	}
	vl := e.VersionLock()
	res, err := l.hash(ctx, e, opts.Progress)
	if err != nil {
		if vl.Locked {
			return Verification{}, hashViolation(e, res, err)
		}
		return Verification{}, err
	}
	v := Verification{
		Name: e.Name(), AggregateSHA256: res.Aggregate, Locked: vl.Locked,
		ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256, Files: len(res.Files), Bytes: res.Bytes,
		LastVerified: l.timestamp(),
	}
	if vl.Locked && vl.ExpectedAggregateSHA256 != "" && vl.ExpectedAggregateSHA256 != res.Aggregate {
		part, perr := l.legacyPartial(ctx, e)
		if perr != nil || part.Aggregate != vl.ExpectedAggregateSHA256 {
			return Verification{}, violation(e, res.Aggregate, res.Files, part)
		}
		// A legacy partial lock holds: stamp it, pin nothing.
		v.LockKind = LockLegacyPartial
		if err := l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
			return ed.SetLastVerified(v.LastVerified)
		}); err != nil {
			return Verification{}, err
		}
		return v, l.reg.Save(ctx)
	}
	if err := l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
		return l.setVerified(ed, res)
	}); err != nil {
		return Verification{}, err
	}
	adopt := vl.Locked && vl.ExpectedAggregateSHA256 == ""
	if adopt {
		if err := l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
			pinned, err := ed.SetExpectedHashIfAbsent(res.Aggregate)
			v.KeptExpected = !pinned
			return err
		}); err != nil {
			return Verification{}, err
		}
	}
	sres, err := l.reg.SaveWithResult(ctx)
	if err != nil {
		return Verification{}, err
	}
	if after, err := l.reg.Get(ctx, e.Name()); err == nil {
		e = after
	}
	v.KeptExpected = v.KeptExpected || sres.KeptFor(e.Name())
	v.ExpectedAggregateSHA256 = e.VersionLock().ExpectedAggregateSHA256
	v.LockKind = l.lockKind(ctx, e)
	return v, nil
}

// hashViolation turns a hashing error of a locked entry into a lock
// violation when the files are missing (an empty folder included) or
// corrupt; other errors come back as they are.
func hashViolation(e *registry.Entry, res artifact.Result, err error) error {
	vl := e.VersionLock()
	if !vl.Locked || !errors.Is(err, artifact.ErrArtifactsMissing) && !errors.Is(err, ErrCorruptArtifact) {
		return err
	}
	lv := &artifact.LockViolationError{Entry: e.Name(), Expected: vl.ExpectedAggregateSHA256, Actual: res.Aggregate, Err: err}
	var mf *artifact.MissingFilesError
	switch {
	case res.Files != nil:
		lv.Drift = artifact.Diff(artifactFiles(e.Artifacts().Files), res.Files)
	case errors.As(err, &mf):
		lv.Drift.Missing = mf.Paths
	}
	return lv
}

// ErrPartialMismatch is wrapped by a lock violation of a legacy partial lock
// that stores no per-file hashes: the covered files no longer give the
// expected partial aggregate, but which of them changed cannot be told.
var ErrPartialMismatch = errors.New("the files a legacy partial lock covers no longer match it")

// violation is the lock violation of e, whose files now give the aggregate
// actual (from files; with part, their legacy partial hashing). When the
// stored lock is not known to be full and the stored manifest holds none of
// the covered files, the covered files found are named as changed (one of
// them did, the lock cannot say which) and the error says so.
func violation(e *registry.Entry, actual string, files []artifact.File, part artifact.Result) *artifact.LockViolationError {
	lv := &artifact.LockViolationError{
		Entry:    e.Name(),
		Expected: e.VersionLock().ExpectedAggregateSHA256,
		Actual:   actual,
		Drift:    artifact.Diff(artifactFiles(e.Artifacts().Files), files),
	}
	if storedKind(e) == LockFull || len(legacyCovered(e)) > 0 || len(part.Files) == 0 {
		return lv
	}
	lv.Drift = artifact.Drift{}
	names := make([]string, len(part.Files))
	for i, f := range part.Files {
		names[i] = f.Path
	}
	lv.Drift.Changed = names
	lv.Err = fmt.Errorf("%w (one of %s changed; the lock stores no per-file hashes)", ErrPartialMismatch, strings.Join(names, ", "))
	return lv
}

// legacyPartial hashes the files the earlier Python tool's partial
// aggregate covers, under the entry's model_path.
func (l *Loader) legacyPartial(ctx context.Context, e *registry.Entry) (artifact.Result, error) {
	return artifact.CollectLegacyPartial(ctx, artifact.Source{
		ModelPath: e.BackendConfig().ModelPath,
		BaseDir:   l.reg.Dir(),
		Home:      l.opts.Getenv("HOME"),
	}, artifact.Options{Workers: l.opts.HashWorkers})
}

// legacyCovered is the stored manifest's files a partial aggregate covers.
func legacyCovered(e *registry.Entry) []artifact.File {
	var out []artifact.File
	for _, f := range artifactFiles(e.Artifacts().Files) {
		if artifact.IsLegacyPartialName(f.Path) {
			out = append(out, f)
		}
	}
	return out
}

// storedKind tells the lock kind from the stored manifest alone: full when
// its aggregate is the expected hash, legacy-partial when its partial
// aggregate is, "" when it cannot tell or no expected hash is stored.
func storedKind(e *registry.Entry) LockKind {
	exp := e.VersionLock().ExpectedAggregateSHA256
	if exp == "" {
		return ""
	}
	files := artifactFiles(e.Artifacts().Files)
	if agg, err := artifact.Aggregate(files); err == nil && len(files) > 0 && agg == exp {
		return LockFull
	}
	if artifact.LegacyPartialAggregate(files) == exp {
		return LockLegacyPartial
	}
	return ""
}

// lockKind is what the entry's expected hash covers: storedKind, else
// legacy-partial when the covered files on disk give the expected hash as
// their partial aggregate (cheap: a few small files), else full. "" when
// no expected hash is stored.
func (l *Loader) lockKind(ctx context.Context, e *registry.Entry) LockKind {
	if k := storedKind(e); k != "" || e.VersionLock().ExpectedAggregateSHA256 == "" {
		return k
	}
	if part, err := l.legacyPartial(ctx, e); err == nil && part.Aggregate == e.VersionLock().ExpectedAggregateSHA256 {
		return LockLegacyPartial
	}
	return LockFull
}
