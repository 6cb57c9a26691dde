package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
)

// ProbeVisionCmd is `probe-vision NAME [IMAGE]`.
type ProbeVisionCmd struct {
	Name   string `arg:"" predictor:"model" help:"Logical model name."`
	Image  string `arg:"" optional:"" help:"Image to ask about; without one, a built-in challenge image whose content is known." type:"path"`
	Prompt string `help:"Question to ask about IMAGE."`
}

// Run probes the model. The result is printed whenever a probe ran; the
// status is 0 only when vision_ok is true.
func (c *ProbeVisionCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	rep, err := l.ProbeVision(ctx, c.Name, core.ProbeOptions{ImagePath: c.Image, Prompt: c.Prompt})
	if rep.Ran() {
		if perr := a.emit(rep, func(w io.Writer) {
			row(w, "NAME", "VISION_OK", "LATENCY_MS", "MODEL")
			row(w, rep.Name, rep.VisionOK, rep.LatencyMS, rep.Model)
			if len(rep.Notes) > 0 {
				fmt.Fprintln(w)
				details(w, "notes", rep.Notes...)
			}
		}); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if !rep.VisionOK {
		return &statusError{msg: fmt.Sprintf("%s: the model did not show it sees (%s)", c.Name, strings.Join(rep.Notes, "; ")), code: exitFailure}
	}
	return nil
}

// BackendsCmd is `backends`.
type BackendsCmd struct{}

// Run checks every distinct endpoint; the status is 1 when any is down.
// With --fleet, the other hosts' endpoints follow this host's, as they
// published them; only this host's count for the status.
func (c *BackendsCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	rows, err := l.Health(ctx)
	if err != nil {
		return err
	}
	if err := a.emit(rows, func(w io.Writer) {
		if a.fleetOf() == nil {
			row(w, "BACKEND", "ENDPOINT", "UP", "VERSION", "SERVED", "NOT_SERVED")
		} else {
			row(w, "HOST", "BACKEND", "ENDPOINT", "UP", "VERSION", "SERVED", "NOT_SERVED")
		}
		for _, r := range rows {
			if a.fleetOf() == nil {
				row(w, r.Backend, r.Endpoint, r.Up, r.Version, r.Served, r.NotServed)
			} else {
				row(w, r.Host, r.Backend, r.Endpoint, r.Up, r.Version, r.Served, r.NotServed)
			}
		}
		// Notes below the rows, wrapped, each endpoint's under its name.
		first := true
		for _, r := range rows {
			notes := slices.Clone(r.Notes)
			if r.Error != "" {
				notes = append(notes, r.Error)
			}
			if len(notes) == 0 {
				continue
			}
			if first {
				fmt.Fprintln(w)
				first = false
			}
			details(w, strings.TrimSpace(r.Host+" "+r.Backend+" "+r.Endpoint), notes...)
		}
	}); err != nil {
		return err
	}
	return healthStatus(slices.DeleteFunc(rows, func(r core.EndpointHealth) bool { return r.Host != "" && r.Host != l.HostID() }))
}

// healthStatus ends `backends`: a plugin that could not be used is a
// plugin problem, named with its own message (exit 3), never counted as
// its endpoints being down; else any endpoint down is exit 1.
func healthStatus(rows []core.EndpointHealth) error {
	var problems []string
	seen := map[string]bool{}
	down, checked := 0, 0
	for _, r := range rows {
		if pluginhost.IsPluginFailure(r.Err) {
			if !seen[r.Backend] {
				seen[r.Backend] = true
				problems = append(problems, oneLine(r.Err))
			}
			continue
		}
		checked++
		if !r.Up {
			down++
		}
	}
	var downMsg string
	if down > 0 {
		downMsg = fmt.Sprintf("%d of %d endpoint(s) down or unreachable", down, checked)
	}
	switch {
	case len(problems) > 0:
		if downMsg != "" {
			problems = append(problems, downMsg)
		}
		return &statusError{msg: strings.Join(problems, "; "), code: exitPlugin}
	case down > 0:
		return &statusError{msg: downMsg, code: exitFailure}
	}
	return nil
}

// ImportCmd is `import BACKEND`.
type ImportCmd struct {
	Backend   string `arg:"" predictor:"backend" help:"Backend name (vllm, ollama, lmdeploy, or a plugin's)."`
	Endpoint  string `help:"Server base URL; default: the backend's default port on localhost."`
	DryRun    bool   `name:"dry-run" help:"Print what would be added; write nothing."`
	APIKeyEnv string `name:"api-key-env" help:"Environment variable holding the server's API key."`
}

// AfterApply opens the registry read-only for a dry run (not even a
// stale snapshot is rewritten) and scrubs --api-key-env's key from stderr.
func (c *ImportCmd) AfterApply(a *App) error {
	a.readOnly = c.DryRun
	a.secrets.addVar(c.APIKeyEnv)
	return nil
}

// Run imports the served models the registry lacks; core reads the key
// from --api-key-env's variable.
func (c *ImportCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	if ep := strings.TrimSpace(c.Endpoint); sdk.RedactURL(ep) != ep {
		a.warnf("the password or key in --endpoint is not stored: entries get %s; give the key with --api-key-env", sdk.RedactURL(ep))
	}
	added, err := l.Import(ctx, c.Backend, core.ImportOptions{
		Endpoint: c.Endpoint, DryRun: c.DryRun, APIKeyEnv: c.APIKeyEnv,
		Warn: func(msg string) { a.warnf("%s", msg) },
	})
	if err != nil {
		return err
	}
	if len(added) == 0 {
		// Still [] on stdout: a script reading it sees an empty list.
		a.warnf("nothing new: the registry already lists every model the %s server serves", c.Backend)
	}
	return a.emit(added, func(w io.Writer) {
		row(w, "NAME", "BACKEND", "SERVED_MODEL_ID", "ENDPOINT")
		for _, r := range added {
			row(w, r.Name, r.Backend, r.ServedModelID, r.Endpoint)
		}
	})
}
