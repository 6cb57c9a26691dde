package gateway

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/imageworks-ai/loader/core"
)

// table is the routing table built from one registry generation.
type table struct {
	gen     uint64
	models  []route           // listed models, in /v1/models order
	byName  map[string]*route // logical name -> route (deprecated included)
	byID    map[string]*route // display id -> route
	byNorm  map[string]*route // normalised display forms; nil value: ambiguous
	byAlias map[string]*route // unique aliases; nil value: ambiguous
	all     []*route          // every entry, deprecated too, by name
}

// route is one entry as the gateway serves it.
type route struct {
	core.ModelInfo
	id string // the /v1/models id (display id)
}

// buildTable derives the routing table. DISPLAY_ID is the entry's
// display_name, else its name; deprecated entries are not listed; when two
// entries would share an id, the later one (by name) uses its logical
// name, then NAME-BACKEND (the Python chat proxy's rule).
func buildTable(gen uint64, infos []core.ModelInfo) *table {
	t := &table{gen: gen, byName: map[string]*route{}, byID: map[string]*route{},
		byNorm: map[string]*route{}, byAlias: map[string]*route{}}
	for _, m := range infos {
		r := &route{ModelInfo: m}
		t.all = append(t.all, r)
		t.byName[m.Name] = r
	}
	for _, r := range t.all {
		if r.Deprecated {
			continue
		}
		id := cmp.Or(r.DisplayName, r.Name)
		for _, cand := range []string{id, r.Name, r.Name + "-" + r.Backend} {
			if _, taken := t.byID[cand]; !taken {
				id = cand
				break
			}
		}
		r.id = id
		t.byID[id] = r
		t.models = append(t.models, *r)
	}
	claim := func(m map[string]*route, key string, r *route) {
		if key == "" {
			return
		}
		if prev, ok := m[key]; ok && prev != r {
			m[key] = nil // ambiguous
			return
		}
		m[key] = r
	}
	for _, r := range t.all {
		if r.Deprecated {
			continue
		}
		claim(t.byNorm, normalise(r.id), r)
		claim(t.byNorm, normalise(r.DisplayName), r)
		if q := r.Card.Quantization; q != "" && r.DisplayName != "" {
			claim(t.byNorm, normalise(r.DisplayName+" ("+q+")"), r)
		}
		for _, a := range r.Aliases {
			claim(t.byAlias, a, r)
		}
	}
	return t
}

// normalise folds a display form for comparison: lower case, letters and
// digits only.
func normalise(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if unicode.IsLetter(c) || unicode.IsDigit(c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// lookup finds the entry a request's model names: the logical name, the
// display id, a unique alias, the display name (also "display_name
// (QUANT)") compared case- and punctuation-insensitively, or role:ROLE for
// the entry the role selects (see core's role selection). A deprecated
// entry is found by its logical name only.
func (t *table) lookup(model string) (*route, error) {
	model = strings.TrimSpace(model)
	if model == "" {
		return nil, notFound(model)
	}
	if r, ok := t.byName[model]; ok {
		return r, nil
	}
	if r, ok := t.byID[model]; ok {
		return r, nil
	}
	if r, ok := t.byAlias[model]; ok {
		if r == nil {
			return nil, refuse(404, errModelNotFound, fmt.Sprintf("Model '%s' not found: the alias names several models", model))
		}
		return r, nil
	}
	if role, ok := strings.CutPrefix(model, "role:"); ok {
		if r := t.byRole(role); r != nil {
			return r, nil
		}
		return nil, notFound(model)
	}
	if r, ok := t.byNorm[normalise(model)]; ok && r != nil {
		return r, nil
	}
	return nil, notFound(model)
}

// byRole is the role's best entry by the registry's rule: highest
// role_priority, ties by name; roles that need sight need vision.
func (t *table) byRole(role string) *route {
	role = strings.ToLower(strings.TrimSpace(role))
	needs := core.RoleRequirements(role, nil)
	var best *route
	for _, r := range t.all {
		if r.Deprecated || !slices.ContainsFunc(r.Roles, func(x string) bool { return strings.EqualFold(strings.TrimSpace(x), role) }) {
			continue
		}
		if slices.ContainsFunc(needs, func(c string) bool { return !r.Capabilities[c] }) {
			continue
		}
		if best == nil || r.RolePriority[role] > best.RolePriority[role] {
			best = r
		}
	}
	return best
}

func notFound(model string) *apiError {
	e := refuse(404, errModelNotFound, fmt.Sprintf("Model '%s' not found", model))
	e.Hint = "Check /v1/models list"
	return e
}

// modelsAnswer is GET /v1/models: the chat proxy's list and extensions,
// then the models other fleet hosts serve (their extensions name the host).
func (t *table) modelsAnswer(remote []core.FleetModel) any {
	type ext struct {
		DisplayID       string          `json:"display_id"`
		DisplayName     string          `json:"display_name"`
		LogicalID       string          `json:"logical_id"`
		Backend         string          `json:"backend"`
		Format          *string         `json:"format"`
		Quantization    *string         `json:"quantization"`
		SizeBytes       *int64          `json:"size_bytes"`
		Capabilities    map[string]bool `json:"capabilities"`
		Modalities      []string        `json:"modalities"`
		HasChatTemplate bool            `json:"has_chat_template"`
		Templates       []string        `json:"templates"`
		PrimaryTemplate *string         `json:"primary_template"`
		SchemaVersion   int             `json:"schema_version"`
		Host            string          `json:"host,omitempty"`
	}
	type item struct {
		ID         string `json:"id"`
		Object     string `json:"object"`
		Created    int    `json:"created"`
		OwnedBy    string `json:"owned_by"`
		Extensions ext    `json:"extensions"`
	}
	data := make([]item, 0, len(t.models))
	for _, r := range t.models {
		mod := []string{"text"}
		if r.Capabilities["vision"] {
			mod = append(mod, "vision")
		}
		e := ext{DisplayID: r.id, DisplayName: cmp.Or(r.DisplayName, r.Name), LogicalID: r.Name, Backend: r.Backend,
			Format: strOrNil(r.Card.Format), Quantization: strOrNil(r.Card.Quantization), Capabilities: r.Capabilities,
			Modalities: mod, HasChatTemplate: r.Card.ChatTemplate != "", Templates: []string{}, SchemaVersion: 1}
		if r.Card.SizeBytes > 0 {
			n := r.Card.SizeBytes
			e.SizeBytes = &n
		}
		if r.Card.ChatTemplate != "" {
			e.Templates = []string{r.Card.ChatTemplate}
			e.PrimaryTemplate = &r.Card.ChatTemplate
		}
		data = append(data, item{ID: r.id, Object: "model", OwnedBy: "imageworks", Extensions: e})
	}
	for _, m := range remote {
		if _, taken := t.byID[m.Name]; taken {
			continue // a local display id: a chat naming it is served here
		}
		mod := []string{"text"}
		if m.Capabilities["vision"] {
			mod = append(mod, "vision")
		}
		data = append(data, item{ID: m.Name, Object: "model", OwnedBy: "imageworks", Extensions: ext{
			DisplayID: m.Name, DisplayName: m.Name, LogicalID: m.Name, Backend: m.Backend, Capabilities: m.Capabilities,
			Modalities: mod, Templates: []string{}, SchemaVersion: 1, Host: m.Host}})
	}
	return map[string]any{"object": "list", "data": data}
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
