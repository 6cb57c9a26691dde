package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// LockState is an entry's version lock after a lock, unlock or verify.
type LockState struct {
	Name                    string `json:"name"`
	Locked                  bool   `json:"locked"`
	ExpectedAggregateSHA256 string `json:"expected_aggregate_sha256"`
	// Changed is false when the call found the lock already in the asked
	// state and wrote nothing.
	Changed bool `json:"changed"`
	// KeptExpected is true when lock --set-expected found an expected hash
	// already stored and kept it.
	KeptExpected bool `json:"kept_expected,omitempty"`
}

// LockOptions refine Lock.
type LockOptions struct {
	// SetExpected hashes the artifacts and stores the aggregate as the
	// expected one when none is stored yet.
	SetExpected bool
	// Progress receives hashing progress in bytes; may be nil.
	Progress func(done, total int64)
}

// Lock sets the entry's version lock and saves it in the discovered layer.
// With SetExpected and no expected hash stored, the artifacts are hashed
// first; an expected hash already stored is kept. Errors wrap
// registry.ErrNotFound, the artifact package's errors, ErrCorruptArtifact
// (a file that does not match its digest is never pinned), or the save's.
func (l *Loader) Lock(ctx context.Context, name string, opts LockOptions) (LockState, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	vl := e.VersionLock()
	st := LockState{Name: name, Locked: true, ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256}
	var res artifact.Result
	hashed := false
	if opts.SetExpected {
		if vl.ExpectedAggregateSHA256 != "" {
			st.KeptExpected = true
		} else {
			res, err = l.hash(ctx, e, opts.Progress)
			if err != nil {
				return LockState{}, err
			}
			hashed = true
			st.ExpectedAggregateSHA256 = res.Aggregate
		}
	}
	if vl.Locked && !hashed {
		return st, nil
	}
	err = l.reg.Update(ctx, name, func(ed *registry.Edit) error {
		if err := ed.Set(true, "version_lock", "locked"); err != nil {
			return err
		}
		if hashed {
			if err := setArtifacts(ed, res); err != nil {
				return err
			}
			if err := ed.Set(res.Aggregate, "version_lock", "expected_aggregate_sha256"); err != nil {
				return err
			}
			return ed.Set(l.timestamp(), "version_lock", "last_verified")
		}
		return nil
	})
	if err != nil {
		return LockState{}, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return LockState{}, err
	}
	st.Changed = true
	return st, nil
}

// Unlock clears the entry's version lock; the expected hash stays. An entry
// already unlocked is left as it is and nothing is written.
func (l *Loader) Unlock(ctx context.Context, name string) (LockState, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	vl := e.VersionLock()
	st := LockState{Name: name, Locked: false, ExpectedAggregateSHA256: vl.ExpectedAggregateSHA256}
	if !vl.Locked {
		return st, nil
	}
	if err := l.reg.Update(ctx, name, func(ed *registry.Edit) error {
		return ed.Set(false, "version_lock", "locked")
	}); err != nil {
		return LockState{}, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return LockState{}, err
	}
	st.Changed = true
	return st, nil
}

// Verification is the outcome of a successful Verify.
type Verification struct {
	Name            string `json:"name"`
	AggregateSHA256 string `json:"aggregate_sha256"`
	LastVerified    string `json:"last_verified"`
	Locked          bool   `json:"locked"`
	Files           int    `json:"files"`
	Bytes           int64  `json:"bytes"`
}

// VerifyOptions refine Verify.
type VerifyOptions struct {
	// Progress receives hashing progress in bytes; may be nil.
	Progress func(done, total int64)
}

// Verify recomputes the entry's aggregate hash. When the entry is locked
// with an expected hash and the two differ, it returns a
// *artifact.LockViolationError (wrapping artifact.ErrLockViolation) naming
// the files changed, missing and added, and saves nothing. Artifacts that
// cannot be found are a violation for a locked entry and an error wrapping
// artifact.ErrArtifactsMissing otherwise. On success the artifacts, the
// last_verified stamp and, for a locked entry with no expected hash yet,
// the expected hash are saved in the discovered layer.
func (l *Loader) Verify(ctx context.Context, name string, opts VerifyOptions) (Verification, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Verification{}, err
	}
	vl := e.VersionLock()
	res, err := l.hash(ctx, e, opts.Progress)
	if err != nil {
		if vl.Locked && (errors.Is(err, artifact.ErrArtifactsMissing) || errors.Is(err, ErrCorruptArtifact)) {
			lv := &artifact.LockViolationError{Entry: name, Expected: vl.ExpectedAggregateSHA256, Actual: res.Aggregate, Err: err}
			if res.Files != nil {
				lv.Drift = artifact.Diff(artifactFiles(e.Artifacts().Files), res.Files)
			}
			return Verification{}, lv
		}
		return Verification{}, err
	}
	if vl.Locked && vl.ExpectedAggregateSHA256 != "" && vl.ExpectedAggregateSHA256 != res.Aggregate {
		return Verification{}, &artifact.LockViolationError{
			Entry:    name,
			Expected: vl.ExpectedAggregateSHA256,
			Actual:   res.Aggregate,
			Drift:    artifact.Diff(artifactFiles(e.Artifacts().Files), res.Files),
		}
	}
	now := l.timestamp()
	if err := l.reg.Update(ctx, name, func(ed *registry.Edit) error {
		if err := setArtifacts(ed, res); err != nil {
			return err
		}
		if vl.Locked && vl.ExpectedAggregateSHA256 == "" {
			if err := ed.Set(res.Aggregate, "version_lock", "expected_aggregate_sha256"); err != nil {
				return err
			}
		}
		return ed.Set(now, "version_lock", "last_verified")
	}); err != nil {
		return Verification{}, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return Verification{}, err
	}
	return Verification{
		Name: name, AggregateSHA256: res.Aggregate, LastVerified: now, Locked: vl.Locked,
		Files: len(res.Files), Bytes: res.Bytes,
	}, nil
}

// artifactFiles converts a stored manifest for comparison.
func artifactFiles(fs []registry.ArtifactFile) []artifact.File {
	out := make([]artifact.File, len(fs))
	for i, f := range fs {
		out[i] = artifact.File{Path: f.Path, SHA256: f.SHA256}
	}
	return out
}

// timestamp is now in RFC 3339, UTC, second precision.
func (l *Loader) timestamp() string {
	return l.opts.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
}

// setArtifacts stores a hashing result as the entry's artifacts.
func setArtifacts(ed *registry.Edit, res artifact.Result) error {
	files := make([]registry.ArtifactFile, len(res.Files))
	for i, f := range res.Files {
		files[i] = registry.ArtifactFile{Path: f.Path, SHA256: f.SHA256}
	}
	if err := ed.Set(res.Aggregate, "artifacts", "aggregate_sha256"); err != nil {
		return err
	}
	return ed.Set(files, "artifacts", "files")
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
		DownloadFiles: e.DownloadFiles(),
		DownloadPath:  e.DownloadPath(),
		ModelPath:     e.BackendConfig().ModelPath,
		BaseDir:       l.reg.Dir(),
		Home:          l.opts.Getenv("HOME"),
	}
	for _, f := range e.Artifacts().Files {
		src.ManifestFiles = append(src.ManifestFiles, f.Path)
	}
	if !isSchemePath(src.ModelPath) {
		return src, nil, nil
	}
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return artifact.Source{}, nil, fmt.Errorf("artifacts of %q: %w", e.Name(), err)
	}
	set, err := b.Artifacts(ctx, sdk.ArtifactsRequest{Entry: sdkEntry(e)})
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
	return artifact.Source{ManifestFiles: paths, ModelPath: set.Root, BaseDir: l.reg.Dir()}, digests, nil
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
