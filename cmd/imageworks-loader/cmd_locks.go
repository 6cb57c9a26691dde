package main

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
)

// VerifyCmd is `verify NAME`.
type VerifyCmd struct {
	Name string `arg:"" help:"Logical model name."`
}

// Run hashes the model's files and checks its lock. A violation prints
// what changed on stderr and ends with status 2.
func (c *VerifyCmd) Run(ctx context.Context, a *App) error {
	l, err := a.Loader(ctx)
	if err != nil {
		return err
	}
	bar := a.progressBar("hashing " + c.Name)
	v, err := l.Verify(ctx, c.Name, core.VerifyOptions{Progress: bar.update})
	bar.finish()
	if err != nil {
		a.reportViolation(err)
		return err
	}
	return a.emit(v, func(w io.Writer) {
		row(w, "NAME", "AGGREGATE_SHA256", "LAST_VERIFIED", "LOCKED")
		row(w, v.Name, v.AggregateSHA256, v.LastVerified, v.Locked)
	})
}

// reportViolation lists a lock violation's drift on stderr, one line a file.
func (a *App) reportViolation(err error) {
	var lv *artifact.LockViolationError
	if !errors.As(err, &lv) {
		return
	}
	for _, p := range lv.Drift.Changed {
		a.warnf("changed: %s", p)
	}
	for _, p := range lv.Drift.Missing {
		a.warnf("missing: %s", p)
	}
	for _, p := range lv.Drift.Added {
		a.warnf("added: %s", p)
	}
}

// LockCmd is `lock NAME`.
type LockCmd struct {
	Name        string `arg:"" help:"Logical model name."`
	SetExpected bool   `name:"set-expected" help:"Hash the files and store the aggregate as expected, unless one is stored already."`
}

// Run locks the entry.
func (c *LockCmd) Run(ctx context.Context, a *App) error {
	l, err := a.Loader(ctx)
	if err != nil {
		return err
	}
	bar := a.progressBar("hashing " + c.Name)
	st, err := l.Lock(ctx, c.Name, core.LockOptions{SetExpected: c.SetExpected, Progress: bar.update})
	bar.finish()
	if err != nil {
		return err
	}
	if st.KeptExpected {
		a.warnf("%s: kept the expected hash already stored (%s)", c.Name, st.ExpectedAggregateSHA256)
	}
	return a.emitLock(st)
}

// UnlockCmd is `unlock NAME`.
type UnlockCmd struct {
	Name string `arg:"" help:"Logical model name."`
}

// Run unlocks the entry.
func (c *UnlockCmd) Run(ctx context.Context, a *App) error {
	l, err := a.Loader(ctx)
	if err != nil {
		return err
	}
	st, err := l.Unlock(ctx, c.Name)
	if err != nil {
		return err
	}
	return a.emitLock(st)
}

func (a *App) emitLock(st core.LockState) error {
	return a.emit(st, func(w io.Writer) {
		row(w, "NAME", "LOCKED", "EXPECTED_AGGREGATE_SHA256", "CHANGED")
		row(w, st.Name, st.Locked, st.ExpectedAggregateSHA256, st.Changed)
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
