package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/fleet"
)

// VerifyCmd is `verify NAME`.
type VerifyCmd struct {
	Name string `arg:"" predictor:"model" help:"Logical model name."`
}

// Run hashes the model's files and checks its lock. A violation prints its
// report as JSON on stdout and ends with status 2 (one line on stderr). A
// legacy partial lock that holds is a success with a one-line warning.
func (c *VerifyCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	bar := a.progressBar("hashing " + c.Name)
	v, err := l.Verify(ctx, c.Name, core.VerifyOptions{Progress: bar.update})
	bar.finish()
	if err != nil {
		return a.reportViolation(err)
	}
	switch {
	case v.LockKind == core.LockLegacyPartial:
		a.warnf("%s: legacy partial lock (made by the earlier Python tool): it holds, but it covers only the root config and tokenizer files, not the weights; run 'lock %s --upgrade' to pin every file", v.Name, v.Name)
	case v.ToolFolders:
		a.warnf("%s: the lock holds only with the files under .git/ and .cache/huggingface/ included, as the earlier Python tool hashed them; run 'lock %s --repin' to pin the model's files alone", v.Name, v.Name)
	case v.Pinned:
		a.warnf("%s: the lock had no expected hash; pinned %s", v.Name, v.AggregateSHA256)
	}
	if v.FleetPinned {
		a.warnf("%s: the fleet's lock had no expected hash; pinned %s for every host", v.Name, v.AggregateSHA256)
	}
	return a.emit(v, func(w io.Writer) {
		row(w, "NAME", "AGGREGATE_SHA256", "LAST_VERIFIED", "LOCKED", "LOCK_KIND")
		row(w, v.Name, shortHash(v.AggregateSHA256), v.LastVerified, v.Locked, string(v.LockKind))
	})
}

// violationReport is what a lock violation prints on stdout.
type violationReport struct {
	Name     string   `json:"name"`
	Violated bool     `json:"violated"`
	Expected string   `json:"expected_aggregate_sha256"`
	Actual   string   `json:"actual_aggregate_sha256"`
	Changed  []string `json:"changed"`
	Missing  []string `json:"missing"`
	Added    []string `json:"added"`
	Error    string   `json:"error,omitempty"`
}

// reportViolation prints a lock violation's report on stdout (the caller's
// error then makes the one stderr line and status 2) and returns err.
func (a *App) reportViolation(err error) error {
	var lv *artifact.LockViolationError
	if !errors.As(err, &lv) {
		return err
	}
	r := violationReport{
		Name: lv.Entry, Violated: true, Expected: lv.Expected, Actual: lv.Actual,
		Changed: nonNil(lv.Drift.Changed), Missing: nonNil(lv.Drift.Missing), Added: nonNil(lv.Drift.Added),
	}
	if lv.Err != nil {
		r.Error = oneLine(lv.Err)
	}
	if perr := a.emit(r, func(w io.Writer) {
		row(w, "NAME", "EXPECTED_AGGREGATE_SHA256", "ACTUAL_AGGREGATE_SHA256", "CHANGED", "MISSING", "ADDED")
		row(w, r.Name, shortHash(r.Expected), shortHash(r.Actual), len(r.Changed), len(r.Missing), len(r.Added))
		if len(r.Changed)+len(r.Missing)+len(r.Added) > 0 {
			fmt.Fprintln(w)
		}
		details(w, "changed", r.Changed...)
		details(w, "missing", r.Missing...)
		details(w, "added", r.Added...)
	}); perr != nil {
		return errors.Join(err, perr)
	}
	return err
}

// nonNil makes an empty list print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// LockCmd is `lock NAME`.
type LockCmd struct {
	Name        string `arg:"" predictor:"model" help:"Logical model name."`
	SetExpected bool   `name:"set-expected" xor:"pin" help:"Hash the files and store the aggregate as expected, unless one is stored already."`
	Upgrade     bool   `name:"upgrade" xor:"pin" help:"Re-pin a legacy partial lock (made by the earlier Python tool) as a full one, only while it still holds."`
	Repin       bool   `name:"repin" xor:"pin" help:"After replacing the model's files on purpose: hash them now, store that aggregate as expected (replacing the stored one) and lock; prints the previous one."`
}

// AfterApply words the fleet-unreachable warning for a lock.
func (c *LockCmd) AfterApply(a *App) error {
	a.fleetLocally = "locked on this host only, the fleet's pin was not updated"
	return nil
}

// Run locks the entry. An --upgrade whose partial lock no longer holds is a
// violation: its report on stdout, status 2, nothing saved. With --fleet,
// see fleetOutcome.
func (c *LockCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	bar := a.progressBar("hashing " + c.Name)
	st, err := l.Lock(ctx, c.Name, core.LockOptions{SetExpected: c.SetExpected, Upgrade: c.Upgrade, Repin: c.Repin, Progress: bar.update})
	bar.finish()
	saved, ferr := fleetOutcome(err)
	if err != nil && !saved {
		return a.reportViolation(err)
	}
	switch {
	case st.KeptExpected:
		a.warnf("%s: kept the expected hash already stored (%s)", st.Name, st.ExpectedAggregateSHA256)
	case c.Repin && st.PreviousExpectedAggregateSHA256 != "":
		a.warnf("%s: re-pinned %s (was %s)", st.Name, st.ExpectedAggregateSHA256, st.PreviousExpectedAggregateSHA256)
	case st.PinsOnNextVerify:
		a.warnf("%s: locked without an expected hash: the next 'verify %s' pins whatever it finds; run 'lock %s --set-expected' to pin the files now", st.Name, st.Name, st.Name)
	}
	if err := a.emitLock(st); err != nil {
		return err
	}
	return ferr
}

// fleetOutcome tells whether err is a lock's or unlock's whose local
// change was made and saved but whose fleet pin was not (a
// *core.FleetPinError), and then what the command ends with once it has
// printed the local state: nil when the fleet was unreachable (the
// warning was given; exit 0 as without a fleet: the lock holds on this
// host, and the next lock or unlock with the fleet reachable writes the
// pin), the error itself for a conflict (exit 4: another host's pin won;
// it stays, and verify on every host checks against it).
func fleetOutcome(err error) (saved bool, end error) {
	var pe *core.FleetPinError
	if !errors.As(err, &pe) {
		return false, nil
	}
	if errors.Is(err, fleet.ErrUnavailable) {
		return true, nil
	}
	return true, err
}

// UnlockCmd is `unlock NAME`.
type UnlockCmd struct {
	Name string `arg:"" predictor:"model" help:"Logical model name."`
}

// AfterApply words the fleet-unreachable warning for an unlock.
func (c *UnlockCmd) AfterApply(a *App) error {
	a.fleetLocally = "unlocked on this host only, the fleet's pin was not updated"
	return nil
}

// Run unlocks the entry (with --fleet, see fleetOutcome).
func (c *UnlockCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	st, err := l.Unlock(ctx, c.Name)
	saved, ferr := fleetOutcome(err)
	if err != nil && !saved {
		return err
	}
	if err := a.emitLock(st); err != nil {
		return err
	}
	return ferr
}

func (a *App) emitLock(st core.LockState) error {
	return a.emit(st, func(w io.Writer) {
		if st.Fleet == nil {
			row(w, "NAME", "LOCKED", "EXPECTED_AGGREGATE_SHA256", "LOCK_KIND", "CHANGED")
			row(w, st.Name, st.Locked, shortHash(st.ExpectedAggregateSHA256), string(st.LockKind), st.Changed)
			return
		}
		f := st.Fleet
		row(w, "NAME", "LOCKED", "EXPECTED_AGGREGATE_SHA256", "LOCK_KIND", "CHANGED", "FLEET_LOCKED", "FLEET_EXPECTED", "FLEET_BY")
		row(w, st.Name, st.Locked, shortHash(st.ExpectedAggregateSHA256), string(st.LockKind), st.Changed, f.Locked, shortHash(f.ExpectedAggregateSHA256), f.By)
	})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return termCheck(f)
}
