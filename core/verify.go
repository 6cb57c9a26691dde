package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// Pinned is true when this verify stored the aggregate as the expected
	// hash: the entry was locked without one.
	Pinned bool `json:"pinned,omitempty"`
	// FleetPinned is true when this verify stored the aggregate as the
	// expected hash of the fleet's pin, which was locked without one.
	FleetPinned bool `json:"fleet_pinned,omitempty"`
	// KeptExpected is true when a locked entry without an expected hash
	// would have adopted this aggregate but another process stored one
	// meanwhile, which was kept.
	KeptExpected bool `json:"kept_expected,omitempty"`
	// ToolFolders is true when the lock holds only with the files of the
	// download tools' folders (.git, .cache/huggingface) included, as the
	// earlier Python tool hashed them; `lock NAME --repin` pins the model
	// alone.
	ToolFolders bool  `json:"tool_folders_included,omitempty"`
	Files       int   `json:"files"`
	Bytes       int64 `json:"bytes"`
}

// VerifyOptions refine Verify.
type VerifyOptions struct {
	// Progress receives hashing progress in bytes; may be nil.
	Progress func(done, total int64)
}

// Verify recomputes the entry's aggregate hash over every file of its
// model folder (name may be a unique alias). When the entry is locked with
// an expected hash and the two differ, two older kinds of lock are tried:
// the earlier Python tool's walk, which included the download tools'
// folders (if that aggregate matches, the lock holds and ToolFolders says
// so), and its partial aggregate (if that matches, the lock holds as a
// legacy partial lock, LockKind LockLegacyPartial, and only last_verified
// is saved, nothing re-pinned). Otherwise it returns a
// *artifact.LockViolationError (wrapping artifact.ErrLockViolation) naming
// the files changed, missing and added since the pin
// (version_lock.expected_files, else artifacts.files), and saves nothing.
// Artifacts that cannot be found, or a folder with no file at all, are a
// violation for a locked entry and an error wrapping
// artifact.ErrArtifactsMissing otherwise. A version_lock field of the
// wrong type is a *registry.FieldError, before anything is hashed. On
// success the artifacts, the last_verified stamp and, for a locked entry
// with no expected hash yet, the expected hash and its manifest are saved
// in the discovered layer (one stored meanwhile by another process is
// kept).
//
// With a fleet, a locked fleet pin with an expected hash binds this host
// too; see verifyFleet.
func (l *Loader) Verify(ctx context.Context, name string, opts VerifyOptions) (Verification, error) {
	if l.opts.Fleet != nil {
		return l.verifyFleet(ctx, name, opts)
	}
	return l.verifyLocal(ctx, name, opts)
}

// verifyLocal is Verify against this host's registry alone.
func (l *Loader) verifyLocal(ctx context.Context, name string, opts VerifyOptions) (Verification, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Verification{}, err
	}
	vl, err := e.CheckedVersionLock()
	if err != nil {
		return Verification{}, err
	}
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
		// The tool folders are only a second chance for an older lock: when
		// they cannot be hashed, the violation below is reported as it is.
		withTools, err := l.withToolFolders(ctx, e, res)
		if err != nil {
			withTools = res
		}
		if withTools.Aggregate == vl.ExpectedAggregateSHA256 {
			// The Python tool's walk: the lock holds with the tool folders.
			res, v.ToolFolders = withTools, true
			v.AggregateSHA256, v.Files, v.Bytes = res.Aggregate, len(res.Files), res.Bytes
		} else {
			part, perr := l.legacyPartial(ctx, e)
			if perr != nil || part.Aggregate != vl.ExpectedAggregateSHA256 {
				return Verification{}, violation(e, res.Aggregate, withTools.Files, part)
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
	}
	if err := l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
		return l.setVerified(ed, res)
	}); err != nil {
		return Verification{}, err
	}
	if vl.Locked && vl.ExpectedAggregateSHA256 == "" {
		if err := l.reg.Update(ctx, e.Name(), func(ed *registry.Edit) error {
			pinned, err := pinIfAbsent(ed, res)
			v.Pinned, v.KeptExpected = pinned, !pinned
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
	if sres.KeptFor(e.Name()) {
		v.Pinned, v.KeptExpected = false, true
	}
	v.ExpectedAggregateSHA256 = e.VersionLock().ExpectedAggregateSHA256
	v.LockKind = l.lockKind(ctx, e)
	return v, nil
}

// withToolFolders is res with the files of the model folder's tool folders
// added, as the earlier Python tool's walk hashed it; res itself when the
// entry's files are not a walk or the folders hold nothing.
func (l *Loader) withToolFolders(ctx context.Context, e *registry.Entry, res artifact.Result) (artifact.Result, error) {
	if res.Selection != artifact.FromWalk {
		return res, nil
	}
	src, _, err := l.artifactSource(ctx, e)
	if err != nil {
		return artifact.Result{}, err
	}
	tool, err := artifact.CollectToolFolders(ctx, src, artifact.Options{Workers: l.opts.HashWorkers})
	if err != nil || len(tool.Files) == 0 {
		return res, err
	}
	files := append(slices.Clone(res.Files), tool.Files...)
	slices.SortFunc(files, func(a, b artifact.File) int { return strings.Compare(a.Path, b.Path) })
	agg, err := artifact.Aggregate(files)
	if err != nil {
		return artifact.Result{}, err
	}
	return artifact.Result{Root: res.Root, Selection: res.Selection, Files: files, Aggregate: agg, Bytes: res.Bytes + tool.Bytes}, nil
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
		lv.Drift = artifact.Diff(pinnedFiles(e), res.Files)
	case errors.As(err, &mf):
		lv.Drift.Missing = mf.Paths
	}
	return lv
}

// pinnedFiles is the manifest the entry's expected hash was pinned from:
// version_lock.expected_files, else (a lock made by the earlier Python
// tool, or saved by it) artifacts.files.
func pinnedFiles(e *registry.Entry) []artifact.File {
	if pinned := e.VersionLock().ExpectedFiles; pinned != nil {
		return artifactFiles(pinned)
	}
	return artifactFiles(e.Artifacts().Files)
}

// ErrPartialMismatch is wrapped by a lock violation of a legacy partial lock
// that stores no per-file hashes: the covered files no longer give the
// expected partial aggregate, but which of them changed cannot be told.
var ErrPartialMismatch = errors.New("the files a legacy partial lock covers no longer match it")

// violation is the lock violation of e, whose files now give the aggregate
// actual (files are those files, with the tool folders' when the entry's
// pinned manifest may hold them; part, their legacy partial hashing). The
// drift is against the pinned manifest, leaving out tool-folder files
// that manifest does not list. When the stored lock is not known to be
// full and the pinned manifest holds none of the covered files, the
// covered files found are named as changed (one of them did, the lock
// cannot say which) and the error says so.
func violation(e *registry.Entry, actual string, files []artifact.File, part artifact.Result) *artifact.LockViolationError {
	pinned := pinnedFiles(e)
	if !slices.ContainsFunc(pinned, func(f artifact.File) bool { return artifact.InToolFolder(f.Path) }) {
		files = slices.DeleteFunc(slices.Clone(files), func(f artifact.File) bool { return artifact.InToolFolder(f.Path) })
	}
	lv := &artifact.LockViolationError{
		Entry:    e.Name(),
		Expected: e.VersionLock().ExpectedAggregateSHA256,
		Actual:   actual,
		Drift:    artifact.Diff(pinned, files),
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
// aggregate covers, at the root of the entry's model folder.
func (l *Loader) legacyPartial(ctx context.Context, e *registry.Entry) (artifact.Result, error) {
	return artifact.CollectLegacyPartial(ctx, artifact.Source{
		ModelPath:    e.BackendConfig().ModelPath,
		DownloadPath: e.DownloadPath(),
		BaseDir:      l.reg.Dir(),
		Home:         l.opts.Getenv("HOME"),
	}, artifact.Options{Workers: l.opts.HashWorkers})
}

// legacyCovered is the pinned manifest's files a partial aggregate covers.
func legacyCovered(e *registry.Entry) []artifact.File {
	var out []artifact.File
	for _, f := range pinnedFiles(e) {
		if artifact.IsLegacyPartialName(f.Path) {
			out = append(out, f)
		}
	}
	return out
}

// storedKind tells the lock kind from the pinned manifest alone: full when
// its aggregate is the expected hash, legacy-partial when its partial
// aggregate is, "" when it cannot tell or no expected hash is stored.
func storedKind(e *registry.Entry) LockKind {
	exp := e.VersionLock().ExpectedAggregateSHA256
	if exp == "" {
		return ""
	}
	files := pinnedFiles(e)
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
