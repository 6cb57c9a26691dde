package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/suggest"
)

// nameProblems warns about the names in one record that are probably
// typos: capability keys no synonym knows, and the backend and roles opts
// does not know. skipBackend leaves the backend out (a discovered record
// whose entry takes its backend from the curated layer).
func (vl *vlayer) nameProblems(rec *record, opts ValidateOptions, skipBackend bool) []Problem {
	if !rec.IsObject() {
		return nil
	}
	var ps []Problem
	reported := map[string]bool{} // roles already warned about in this record
	for i := range rec.Len() {
		key, v := rec.At(i)
		switch key {
		case keyBackend:
			if opts.KnownBackends == nil || skipBackend || v.Kind() != doc.String {
				continue
			}
			b := strings.TrimSpace(v.Str())
			if b == "" || slices.Contains(opts.KnownBackends, b) {
				continue
			}
			ps = append(ps, vl.warnAt(rec, i, "%s", suggest.Append(
				fmt.Sprintf("backend %q is not bundled and no plugin imageworks-backend-%s is installed", b, b),
				suggest.Closest(b, opts.KnownBackends), opts.KnownBackends)))
		case keyCapabilities:
			for name := range v.Members() {
				if !KnownCapability(name) {
					ps = append(ps, vl.warnAt(rec, i, "%s", suggest.Append(
						fmt.Sprintf("capability %q is no known capability (kept as a custom one)", name),
						suggest.Closest(name, CapabilityNames()), CanonicalCapabilities())))
				}
			}
		case keyRoles, keyRolePriority:
			if opts.KnownRoles == nil {
				continue
			}
			for _, r := range rolesIn(key, v) {
				n := strings.ToLower(strings.TrimSpace(r))
				if n == "" || reported[n] || slices.ContainsFunc(opts.KnownRoles, func(k string) bool { return strings.EqualFold(k, n) }) {
					continue
				}
				reported[n] = true
				ps = append(ps, vl.warnAt(rec, i, "%s", suggest.Append(
					fmt.Sprintf("role %q is no known role (fine if you mean a role of your own)", r),
					suggest.Closest(r, opts.KnownRoles), nil)))
			}
		}
	}
	return ps
}

// rolesIn lists the roles a "roles" list or a "role_priority" object
// names, in stored order.
func rolesIn(key string, v doc.Value) []string {
	if key == keyRoles {
		return v.Strs()
	}
	var out []string
	for k := range v.Members() {
		out = append(out, k)
	}
	return out
}

// curatedBackend reports whether the curated layer's record of name sets
// a backend, which the merged entry takes over the discovered one's.
func curatedBackend(cur *vlayer, name string) bool {
	if cur == nil || cur.l == nil {
		return false
	}
	r, _ := cur.l.lookup(name)
	return r != nil && hasBackend(r)
}
