package main

import (
	"context"
	"fmt"
	"io"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// ValidateCmd is `validate`.
type ValidateCmd struct{}

// validation is validate's output.
type validation struct {
	OK       bool               `json:"ok"`
	Problems []registry.Problem `json:"problems"`
}

// Run checks the registry files strictly; every problem is listed and the
// status is 1 when there is any.
func (c *ValidateCmd) Run(ctx context.Context, a *App, opts core.Options) error {
	probs, err := core.Validate(ctx, opts)
	if err != nil {
		return err
	}
	if probs == nil {
		probs = []registry.Problem{}
	}
	if err := a.emit(validation{OK: len(probs) == 0, Problems: probs}, func(w io.Writer) {
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
	for _, p := range probs {
		a.warnf("%s", p.String())
	}
	if len(probs) > 0 {
		return &statusError{msg: fmt.Sprintf("%d problem(s) in the registry", len(probs)), code: exitFailure}
	}
	return nil
}
