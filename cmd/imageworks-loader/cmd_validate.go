package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// ValidateCmd is `validate`.
type ValidateCmd struct {
	Strict bool `help:"Warnings (unknown backends, capability keys, roles) fail too."`
}

// validation is validate's output.
type validation struct {
	OK       bool               `json:"ok"`
	Problems []registry.Problem `json:"problems"`
}

// Run checks the registry files strictly; every problem is listed once and
// the status is 1 when there is an error (or, with --strict, a warning).
// Each problem is printed once: in the table, or in the JSON and as a line
// on stderr for whoever watches the terminal while a program reads stdout.
func (c *ValidateCmd) Run(ctx context.Context, a *App, opts core.Options) error {
	probs, err := core.Validate(ctx, opts)
	if err != nil {
		return err
	}
	if probs == nil {
		probs = []registry.Problem{}
	}
	errs, warns := 0, 0
	for _, p := range probs {
		if p.Severity == registry.SeverityWarning {
			warns++
		} else {
			errs++
		}
	}
	failed := errs > 0 || (c.Strict && warns > 0)
	if err := a.emit(validation{OK: !failed, Problems: probs}, func(w io.Writer) {
		row(w, "PROBLEM")
		for _, p := range probs {
			row(w, p.String())
		}
		if len(probs) == 0 {
			row(w, "none: the registry is valid")
		}
	}); err != nil {
		return err
	}
	if a.Globals.Output != "table" {
		for _, p := range probs {
			a.warnf("%s", p.String())
		}
	}
	var counts []string
	if errs > 0 {
		counts = append(counts, fmt.Sprintf("%d problem(s)", errs))
	}
	if warns > 0 {
		counts = append(counts, fmt.Sprintf("%d warning(s)", warns))
	}
	msg := strings.Join(counts, " and ") + " in the registry"
	if failed {
		return &statusError{msg: msg, code: exitFailure}
	}
	if warns > 0 {
		a.warnf("%s", msg)
	}
	return nil
}
