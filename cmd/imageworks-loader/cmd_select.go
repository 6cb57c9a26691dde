package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/sdk"
)

// SelectCmd is `select NAME` and `select --role ROLE`.
type SelectCmd struct {
	Name          string   `arg:"" optional:"" predictor:"model" help:"Logical model name."`
	Role          string   `predictor:"role" help:"Pick the best model for this role instead of naming one."`
	Prefer        []string `predictor:"model" help:"With --role: names tried first, in order (repeatable)."`
	RequireVision bool     `name:"require-vision" help:"The model must have vision."`
	Require       []string `predictor:"capability" help:"Required capability (repeatable)."`
	Live          bool     `help:"Also check that the server is up and serves the model."`
	Activate      bool     `help:"First make the model the active one (see activate; settings from IMAGEWORKS_ACTIVE_*)."`
}

// Validate rejects a command line naming neither or both a model and a role.
func (c *SelectCmd) Validate() error {
	if (c.Name == "") == (c.Role == "") {
		return errors.New("give a model NAME or --role ROLE (one of them)")
	}
	if c.Activate && c.Name == "" {
		return errors.New("--activate goes with a model NAME")
	}
	if len(c.Prefer) > 0 && c.Role == "" {
		return errors.New("--prefer goes with --role")
	}
	return nil
}

// Run resolves the model and prints how to reach it.
func (c *SelectCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	req := append([]string(nil), c.Require...)
	if c.RequireVision {
		req = append(req, "vision")
	}
	opts := core.SelectOptions{Require: req, Prefer: c.Prefer, Live: c.Live}
	var (
		act *core.Active
		err error
	)
	if c.Activate {
		if act, err = activateFromEnv(ctx, a, l, c.Name); err != nil {
			return err
		}
		opts.HereOnly = true // the model now runs here: this host's entry answers
	}
	var sel core.Selection
	if c.Role != "" {
		sel, err = l.SelectRole(ctx, c.Role, opts)
	} else {
		sel, err = l.Select(ctx, c.Name, opts)
	}
	if err != nil {
		return err
	}
	if act != nil {
		// The model now runs here: this host's server is the answer.
		sel.Endpoint, sel.InternalModelID = act.Endpoint, act.ServedModelID
		if a.fleetOf() != nil {
			sel.Host = a.hostID()
		}
	}
	// What prints never shows the endpoint's password or key (an embedder
	// calling core gets the whole URL to connect with).
	sel.Endpoint = sdk.RedactURL(sel.Endpoint)
	if err := a.emit(sel, func(w io.Writer) {
		if sel.Host == "" {
			row(w, "LOGICAL_NAME", "ENDPOINT", "BACKEND", "INTERNAL_MODEL_ID", "CAPABILITIES")
			row(w, sel.LogicalName, sel.Endpoint, sel.Backend, sel.InternalModelID, trueKeys(sel.Capabilities))
			return
		}
		row(w, "HOST", "LOGICAL_NAME", "ENDPOINT", "BACKEND", "INTERNAL_MODEL_ID", "CAPABILITIES")
		row(w, sel.Host, sel.LogicalName, sel.Endpoint, sel.Backend, sel.InternalModelID, trueKeys(sel.Capabilities))
		if len(sel.Notes) > 0 {
			fmt.Fprintln(w)
			details(w, "notes", sel.Notes...)
		}
	}); err != nil {
		return err
	}
	// The selection is printed either way; a failed live check sets the status.
	return sel.LiveProblem()
}

// trueKeys lists the keys whose value is true, sorted.
func trueKeys(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
