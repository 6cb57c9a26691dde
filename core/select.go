package core

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/internal/suggest"
	"github.com/imageworks-ai/loader/sdk"
)

// ErrCapability is wrapped by every *CapabilityError.
var ErrCapability = errors.New("capability requirement not met")

// CapabilityError reports that a model, or every candidate for a role,
// lacks required capabilities.
type CapabilityError struct {
	// Name is the model asked for, or "" for a role selection.
	Name string
	// Role is the role asked for, or "".
	Role string
	// Required are the capabilities that were required, sorted.
	Required []string
	// Missing are the required capabilities the model lacks (Name set).
	Missing []string
	// Suggestions are, for a role no entry lists at all, the roles close
	// to it, best first (see KnownRoles); empty otherwise.
	Suggestions []string
	// KnownRoles are, for a role no entry lists and nothing close to it,
	// every role the entries list, sorted.
	KnownRoles []string
}

// Error says which model or role lacks which capabilities.
func (e *CapabilityError) Error() string {
	if e.Role != "" {
		msg := fmt.Sprintf("no model has role %q", e.Role)
		if len(e.Required) > 0 {
			msg += " with capabilities " + strings.Join(e.Required, ", ")
		}
		return suggest.Append(msg, e.Suggestions, e.KnownRoles)
	}
	return fmt.Sprintf("model %q lacks required capabilities: %s", e.Name, strings.Join(e.Missing, ", "))
}

// Unwrap returns ErrCapability.
func (e *CapabilityError) Unwrap() error { return ErrCapability }

// Selection tells a client how to reach a model.
type Selection struct {
	// LogicalName is the registry entry's name.
	LogicalName string `json:"logical_name"`
	// Endpoint is the OpenAI-compatible base URL a client uses.
	Endpoint string `json:"endpoint"`
	// Backend is the backend that resolved it.
	Backend string `json:"backend"`
	// InternalModelID is the id to send as "model".
	InternalModelID string `json:"internal_model_id"`
	// Capabilities is the normalised capability map (every canonical key).
	Capabilities map[string]bool `json:"capabilities"`
	// Notes are the backend's remarks; omitted when empty.
	Notes []string `json:"notes,omitempty"`
	// Live is the live check's result when one was asked for.
	Live *LiveCheck `json:"live,omitempty"`
	// Host is the fleet host whose server this is; omitted without a
	// fleet (see Options.Fleet).
	Host string `json:"host,omitempty"`
}

// LiveCheck is what a live check of a selection found.
type LiveCheck struct {
	// Up says whether the server answered its health check.
	Up bool `json:"up"`
	// Served says whether the server serves the selection's internal id.
	Served bool `json:"served"`
	// Version is the server's version when it tells it.
	Version string `json:"version"`
	// LatencyMS is the health check's wall-clock time.
	LatencyMS int64 `json:"latency_ms"`
	// Notes are the backend's remarks.
	Notes []string `json:"notes,omitempty"`
}

// Errors of Selection.LiveProblem.
var (
	// ErrServerDown: the live check found the server down or unreachable.
	ErrServerDown = errors.New("server down")
	// ErrNotServed: the server is up but does not serve the model.
	ErrNotServed = errors.New("model not served")
)

// LiveProblem returns nil when no live check was asked for or it found the
// model served, else an error wrapping ErrServerDown or ErrNotServed that
// names the model and the endpoint.
func (s Selection) LiveProblem() error {
	switch {
	case s.Live == nil:
		return nil
	case !s.Live.Up:
		return fmt.Errorf("%s: server at %s: %w", s.LogicalName, sdk.RedactURL(s.Endpoint), ErrServerDown)
	case !s.Live.Served:
		return fmt.Errorf("%s: server at %s does not serve %q: %w", s.LogicalName, sdk.RedactURL(s.Endpoint), s.InternalModelID, ErrNotServed)
	}
	return nil
}

// liveCheck summarises a backend's health status for the model id.
func liveCheck(st *sdk.HealthStatus, id string) *LiveCheck {
	if st == nil {
		return nil
	}
	lc := &LiveCheck{Up: st.Up, Version: st.Version, LatencyMS: st.LatencyMS, Notes: st.Notes}
	for _, m := range st.Models {
		if m.ID == id && m.Served {
			lc.Served = true
		}
	}
	return lc
}

// SelectOptions refine Select and SelectRole.
type SelectOptions struct {
	// Require lists capabilities the model must have (canonical names or
	// synonyms).
	Require []string
	// Prefer lists model names tried first, in order (SelectRole only).
	Prefer []string
	// Live asks the backend to check that the server serves the model.
	Live bool
	// HereOnly answers from this host's registry alone, with a fleet too
	// (a gateway asking about the servers it runs).
	HereOnly bool
}

// roleNeedsVision reports whether a (normalised) role requires vision
// unless told otherwise.
func roleNeedsVision(role string) bool {
	switch role {
	case "caption", "keywords", "description", "narration":
		return true
	}
	return false
}

// normalRole is a role as compared: trimmed and lower-cased.
func normalRole(role string) string { return strings.ToLower(strings.TrimSpace(role)) }

// RoleRequirements returns the capabilities a role requires in addition to
// extra: vision for caption, keywords, description and narration. The
// result is normalised, deduplicated and sorted.
func RoleRequirements(role string, extra []string) []string {
	req := append([]string(nil), extra...)
	if roleNeedsVision(normalRole(role)) {
		req = append(req, "vision")
	}
	return canonicalRequirements(req)
}

// canonicalRequirements maps requirement names through the capability
// synonyms, deduplicated and sorted.
func canonicalRequirements(req []string) []string {
	seen := make(map[string]bool, len(req))
	out := make([]string, 0, len(req))
	for _, r := range req {
		c := registry.CanonicalCapability(r)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// missingCapabilities lists the requirements caps does not hold true.
func missingCapabilities(caps map[string]bool, req []string) []string {
	var missing []string
	for _, r := range req {
		if !caps[r] {
			missing = append(missing, r)
		}
	}
	return missing
}

// ChooseForRole picks the entry for role from entries by the contract's
// rules: candidates list the role, are not deprecated and hold every
// required capability (see RoleRequirements); preferred names are tried
// first, in order; otherwise the highest role_priority[role] wins (missing
// counts 0), ties broken by name. With no candidate the error is a
// *CapabilityError naming the role and the requirements, with the roles
// close to it when no entry lists the role at all.
func ChooseForRole(entries []*registry.Entry, role string, prefer, require []string) (*registry.Entry, error) {
	req := RoleRequirements(role, require)
	var cands []*registry.Entry
	byName := make(map[string]*registry.Entry)
	for _, e := range entries {
		if e.Deprecated() || !hasRole(e, role) || len(missingCapabilities(e.Capabilities(), req)) > 0 {
			continue
		}
		cands = append(cands, e)
		byName[e.Name()] = e
	}
	for _, p := range prefer {
		if e, ok := byName[p]; ok {
			return e, nil
		}
	}
	if len(cands) == 0 {
		ce := &CapabilityError{Role: role, Required: req}
		roleHints(ce, entries)
		return nil, ce
	}
	best := cands[0]
	for _, e := range cands[1:] {
		pe, pb := rolePriority(e, role), rolePriority(best, role)
		if pe > pb || (pe == pb && e.Name() < best.Name()) {
			best = e
		}
	}
	return best, nil
}

// hasRole reports whether e lists role (compared trimmed, case aside).
func hasRole(e *registry.Entry, role string) bool {
	role = normalRole(role)
	for _, r := range e.Roles() {
		if normalRole(r) == role {
			return true
		}
	}
	return false
}

// rolePriority is e's role_priority for role (keys compared as roles are),
// 0 when missing; the highest when several keys match.
func rolePriority(e *registry.Entry, role string) int {
	role = normalRole(role)
	best, found := 0, false
	for k, v := range e.RolePriority() {
		if normalRole(k) == role && (!found || v > best) {
			best, found = v, true
		}
	}
	return best
}

// Select resolves the model called name. It returns an error wrapping
// registry.ErrNotFound for an unknown name (a *registry.NotFoundError with
// the names close to it), an *UnknownCapabilityError for a required
// capability no synonym and no entry knows, a *CapabilityError when the
// entry lacks a required capability (both checked before any backend is
// contacted), and the backend's errors otherwise.
//
// With a fleet (Options.Fleet), every live host's entry of that name is a
// candidate too, and the best one wins (see selectAcross); a name only
// another host knows is found there.
func (l *Loader) Select(ctx context.Context, name string, opts SelectOptions) (Selection, error) {
	if l.opts.Fleet != nil && !opts.HereOnly {
		return l.selectAcross(ctx, name, opts)
	}
	return l.selectLocal(ctx, name, opts)
}

// selectLocal is Select on this host's registry alone.
func (l *Loader) selectLocal(ctx context.Context, name string, opts SelectOptions) (Selection, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return Selection{}, err
	}
	if err := checkRequirements(opts.Require, func() []*registry.Entry { return l.reg.Entries(ctx) }); err != nil {
		return Selection{}, err
	}
	caps := e.Capabilities()
	if missing := missingCapabilities(caps, canonicalRequirements(opts.Require)); len(missing) > 0 {
		return Selection{}, &CapabilityError{Name: name, Required: canonicalRequirements(opts.Require), Missing: missing}
	}
	return l.resolve(ctx, e, opts.Live)
}

// SelectRole resolves the best model for role (see ChooseForRole). A
// preferred name may be a unique alias; one that names no entry is an
// error wrapping registry.ErrNotFound (a *registry.NotFoundError with the
// names close to it), as a typo there would otherwise go unnoticed. It
// returns an *UnknownCapabilityError for a required capability no synonym
// and no entry knows, a *CapabilityError when no model qualifies, and a
// *registry.AliasError for a preferred alias of several entries.
func (l *Loader) SelectRole(ctx context.Context, role string, opts SelectOptions) (Selection, error) {
	prefer := make([]string, len(opts.Prefer))
	for i, p := range opts.Prefer {
		e, err := l.reg.Get(ctx, p)
		if err != nil {
			return Selection{}, fmt.Errorf("preferred model: %w", err)
		}
		prefer[i] = e.Name()
	}
	entries := l.reg.Entries(ctx)
	if err := checkRequirements(opts.Require, func() []*registry.Entry { return entries }); err != nil {
		return Selection{}, err
	}
	e, err := ChooseForRole(entries, role, prefer, opts.Require)
	if l.opts.Fleet != nil && !opts.HereOnly {
		return l.selectRoleAcross(ctx, role, e, err, opts)
	}
	if err != nil {
		return Selection{}, err
	}
	return l.resolve(ctx, e, opts.Live)
}

// resolve asks e's backend how to reach it. When Activate's server for e
// runs (see activeEndpoint), the backend is asked about that server: its
// base_url is the server's.
func (l *Loader) resolve(ctx context.Context, e *registry.Entry, live bool) (Selection, error) {
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return Selection{}, fmt.Errorf("resolving %q: %w", e.Name(), err)
	}
	entry := l.sdkEntry(e)
	endpoint, note := l.activeEndpoint(e)
	if endpoint != "" {
		entry.Config.BaseURL = endpoint
	}
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: entry, Live: live, APIKey: l.apiKey(e)})
	if err != nil {
		return Selection{}, fmt.Errorf("resolving %q with backend %q: %w", e.Name(), e.Backend(), err)
	}
	notes := res.Notes
	if note != "" {
		notes = append(notes, note)
	}
	return Selection{
		LogicalName:     e.Name(),
		Endpoint:        res.Endpoint,
		Backend:         e.Backend(),
		InternalModelID: res.InternalModelID,
		Capabilities:    e.Capabilities(),
		Notes:           notes,
		Live:            liveCheck(res.Live, res.InternalModelID),
	}, nil
}

// activeEndpoint is the base URL of the server Activate started for e,
// when one runs and is ready (on any port, the state file's record of it
// naming e), with a note saying so; else "" and no note. It only reads the
// state: a state that cannot be read is a note, and the entry's own
// endpoint is used.
func (l *Loader) activeEndpoint(e *registry.Entry) (endpoint, note string) {
	port, st, err := supervise.New(supervise.Options{StateFile: l.stateFile()}).Find(e.Name(), e.Aliases()...)
	if err != nil {
		return "", "active servers unknown: " + err.Error()
	}
	if st == nil || (st.Backend != "" && st.Backend != e.Backend()) {
		return "", ""
	}
	if st.Port > 0 {
		port = st.Port
	}
	endpoint = st.Endpoint
	if endpoint == "" { // a state the Python tool wrote
		endpoint = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/v1"
	}
	return endpoint, fmt.Sprintf("active: the server activate started on port %d (pid %d)", port, st.PID)
}
