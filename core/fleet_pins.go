package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/registry"
)

// FleetPin is the fleet's pin for an entry as a lock, unlock or verify
// left it.
type FleetPin struct {
	Locked                  bool      `json:"locked"`
	ExpectedAggregateSHA256 string    `json:"expected_aggregate_sha256"`
	By                      string    `json:"by"`
	At                      time.Time `json:"at"`
	// Changed is false when the fleet already held what the call asked.
	Changed bool `json:"changed"`
}

func fleetPin(p fleet.Pin, changed bool) *FleetPin {
	return &FleetPin{Locked: p.Locked, ExpectedAggregateSHA256: p.ExpectedAggregate, By: p.By, At: p.At, Changed: changed}
}

// FleetPinError reports that a lock or unlock was made and saved in this
// host's registry, but the fleet's pin was not changed: Err wraps
// fleet.ErrUnavailable (the fleet could not be reached) or is a
// *fleet.ConflictError (another host changed the pin meanwhile; the
// fleet keeps that host's pin, which verify then checks against).
type FleetPinError struct {
	Name string
	Err  error
}

// Error names the entry and, for a conflict, the host that won and when.
func (e *FleetPinError) Error() string {
	var ce *fleet.ConflictError
	if errors.As(e.Err, &ce) {
		if p, ok := ce.Current.(*fleet.Pin); ok && p != nil {
			return fmt.Sprintf("%s: host %s changed the fleet's pin at %s while this host locked it (now locked=%t, expected %s); the fleet keeps that pin, this host's lock is saved here only: %s",
				e.Name, p.By, p.At.UTC().Format(time.RFC3339), p.Locked, orNone(p.ExpectedAggregate), fleet.ErrConflict)
		}
	}
	return fmt.Sprintf("%s: saved here only, the fleet's pin was not changed: %v", e.Name, e.Err)
}

// Unwrap returns Err.
func (e *FleetPinError) Unwrap() error { return e.Err }

// lockFleet is Lock with a fleet. The pin is read first, the local lock
// made as without a fleet, then the pin written with compare-and-swap on
// the revision read: a lock of another host in between wins, and this one
// returns its LockState with a *FleetPinError (the local lock stays: it is
// this host's record, and the fleet's pin is what verify checks). The
// fleet's pin gets locked; its expected hash is replaced by --repin (and
// by --upgrade of the pin it upgrades), set by a lock that has one when
// the fleet has none, and kept otherwise, as the local lock keeps one.
func (l *Loader) lockFleet(ctx context.Context, name string, opts LockOptions) (LockState, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	before := e.VersionLock().ExpectedAggregateSHA256
	pin, perr := l.opts.Fleet.Pin(ctx, e.Name())
	st, err := l.lockLocal(ctx, name, opts)
	if err != nil || perr != nil {
		return st, fleetPinErr(st.Name, err, perr)
	}
	want := pin
	want.Name, want.Locked = e.Name(), true
	replace := opts.Repin || pin.ExpectedAggregate == "" ||
		(opts.Upgrade && pin.ExpectedAggregate == before)
	if replace && st.ExpectedAggregateSHA256 != "" {
		want.ExpectedAggregate = st.ExpectedAggregateSHA256
		want.ExpectedFiles = l.expectedFiles(ctx, e.Name())
	}
	return l.putPin(ctx, st, pin, want)
}

// unlockFleet is Unlock with a fleet: the fleet's pin is unlocked too (its
// expected hash stays), by compare-and-swap as in lockFleet.
func (l *Loader) unlockFleet(ctx context.Context, name string) (LockState, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return LockState{}, err
	}
	pin, perr := l.opts.Fleet.Pin(ctx, e.Name())
	st, err := l.unlockLocal(ctx, name)
	if err != nil || perr != nil {
		return st, fleetPinErr(st.Name, err, perr)
	}
	want := pin
	want.Name, want.Locked = e.Name(), false
	return l.putPin(ctx, st, pin, want)
}

// fleetPinErr is the local error, else the fleet's as a *FleetPinError.
func fleetPinErr(name string, local, fleetErr error) error {
	if local != nil {
		return local
	}
	return &FleetPinError{Name: name, Err: fleetErr}
}

// samePolicy reports whether two pins say the same.
func samePolicy(a, b fleet.Pin) bool {
	return a.Locked == b.Locked && a.ExpectedAggregate == b.ExpectedAggregate
}

// putPin writes want over pin (as read) unless they say the same already,
// and records the outcome in st. A conflict whose winner says what want
// says is no conflict.
func (l *Loader) putPin(ctx context.Context, st LockState, pin, want fleet.Pin) (LockState, error) {
	if pin.Revision != 0 && samePolicy(pin, want) {
		st.Fleet = fleetPin(pin, false)
		return st, nil
	}
	if pin.Revision == 0 && !want.Locked && want.ExpectedAggregate == "" {
		return st, nil // nothing to unlock in the fleet
	}
	want.By, want.At = l.HostID(), l.opts.Now().UTC()
	stored, err := l.opts.Fleet.PutPin(ctx, want)
	if err != nil {
		var ce *fleet.ConflictError
		if errors.As(err, &ce) {
			if cur, ok := ce.Current.(*fleet.Pin); ok && cur != nil {
				st.Fleet = fleetPin(*cur, false)
				if samePolicy(*cur, want) {
					return st, nil
				}
			}
		}
		return st, &FleetPinError{Name: st.Name, Err: err}
	}
	st.Fleet = fleetPin(stored, true)
	return st, nil
}

// expectedFiles is the entry's stored pinned manifest, for the fleet.
func (l *Loader) expectedFiles(ctx context.Context, name string) []fleet.File {
	return l.fleetFiles(ctx, name, func(e *registry.Entry) []registry.ArtifactFile { return e.VersionLock().ExpectedFiles })
}

// fleetFiles is the manifest files picks of the entry called name, as the
// fleet stores it; nil when the entry is gone.
func (l *Loader) fleetFiles(ctx context.Context, name string, files func(*registry.Entry) []registry.ArtifactFile) []fleet.File {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return nil
	}
	var out []fleet.File
	for _, f := range files(e) {
		out = append(out, fleet.File{Path: f.Path, SHA256: f.SHA256})
	}
	return out
}

// verifyFleet is Verify with a fleet. The local verify runs as without
// one; then, when the fleet's pin for the entry is locked with an
// expected hash, the aggregate found must be that hash, whatever the
// local lock says (unlocked, or another hash): otherwise the result is a
// *artifact.LockViolationError against the pin, naming the files that
// differ from the pin's manifest. What the local verify saved (the
// artifacts found, last_verified) stays: it is what is on disk. A fleet
// pin locked without an expected hash adopts the aggregate found
// (FleetPinned; see pinFleetOnVerify). The fleet unreachable, the answer
// is the local one.
func (l *Loader) verifyFleet(ctx context.Context, name string, opts VerifyOptions) (Verification, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Verification{}, err
	}
	pin, perr := l.opts.Fleet.Pin(ctx, e.Name())
	if perr != nil && !errors.Is(perr, fleet.ErrUnavailable) {
		return Verification{}, perr
	}
	v, err := l.verifyLocal(ctx, name, opts)
	if err != nil || perr != nil {
		return v, err
	}
	if pin.Locked && pin.ExpectedAggregate == "" {
		if pin, err = l.pinFleetOnVerify(ctx, pin, v); err != nil {
			return v, nil // the fleet changed or went away meanwhile: this host's answer stands
		}
		v.FleetPinned = pin.ExpectedAggregate == v.AggregateSHA256 && pin.By == l.HostID()
	}
	if !pinBinds(pin) || v.AggregateSHA256 == pin.ExpectedAggregate {
		return v, nil
	}
	return Verification{}, l.fleetViolation(ctx, e.Name(), pin, v)
}

// pinFleetOnVerify adopts v's aggregate as the expected hash of a fleet
// pin locked without one, as a local lock without one adopts the next
// verify's, by compare-and-swap: a host that pinned first wins, and its
// pin is returned for v to be checked against.
func (l *Loader) pinFleetOnVerify(ctx context.Context, pin fleet.Pin, v Verification) (fleet.Pin, error) {
	want := pin
	want.ExpectedAggregate, want.By, want.At = v.AggregateSHA256, l.HostID(), l.opts.Now().UTC()
	want.ExpectedFiles = l.artifactManifest(ctx, v.Name)
	stored, err := l.opts.Fleet.PutPin(ctx, want)
	var ce *fleet.ConflictError
	if errors.As(err, &ce) {
		if cur, ok := ce.Current.(*fleet.Pin); ok && cur != nil {
			return *cur, nil
		}
	}
	return stored, err
}

// artifactManifest is the entry's stored artifacts (as the last verify
// found them), for the fleet.
func (l *Loader) artifactManifest(ctx context.Context, name string) []fleet.File {
	return l.fleetFiles(ctx, name, func(e *registry.Entry) []registry.ArtifactFile { return e.Artifacts().Files })
}

// fleetViolation is the lock violation of v against the fleet's pin.
func (l *Loader) fleetViolation(ctx context.Context, name string, pin fleet.Pin, v Verification) error {
	var actual []artifact.File
	if after, err := l.reg.Get(ctx, name); err == nil {
		actual = artifactFiles(after.Artifacts().Files)
	}
	expected := make([]registry.ArtifactFile, len(pin.ExpectedFiles))
	for i, f := range pin.ExpectedFiles {
		expected[i] = registry.ArtifactFile{Path: f.Path, SHA256: f.SHA256}
	}
	lv := &artifact.LockViolationError{
		Entry: name, Expected: pin.ExpectedAggregate, Actual: v.AggregateSHA256,
		Err: fmt.Errorf("the fleet's pin, by host %s at %s", pin.By, pin.At.UTC().Format(time.RFC3339)),
	}
	if len(expected) > 0 {
		lv.Drift = artifact.Diff(artifactFiles(expected), actual)
	}
	return lv
}
