package httpapi

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes holds openapi.json to the routes the handler
// serves: the same paths, and for each the same methods (HEAD aside).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	// The routes New serves: its table and the metrics route find matches.
	h := New(nil, Options{}).(*handler)
	served := map[string][]string{}
	table := maps.Clone(h.routes)
	table[h.metricsRoute.name] = h.metricsRoute
	for path, rt := range table {
		if path != rt.name {
			t.Errorf("route %s is named %s", path, rt.name)
		}
		for m := range rt.methods {
			if m != "HEAD" {
				served[path] = append(served[path], strings.ToLower(m))
			}
		}
		slices.Sort(served[path])
	}
	documented := map[string][]string{}
	for path, ops := range doc.Paths {
		documented[path] = slices.Sorted(maps.Keys(ops))
	}
	for path, ms := range served {
		if !slices.Equal(documented[path], ms) {
			t.Errorf("%s: served %v, documented %v", path, ms, documented[path])
		}
	}
	for path := range documented {
		if _, ok := served[path]; !ok {
			t.Errorf("%s is documented but not served", path)
		}
	}
	// The metrics route is matched by find, not the table: check it does.
	if rt, name, ok := h.find("/v1/models/x/metrics"); !ok || rt.name != metricsRouteName || name != "x" {
		t.Errorf("find(/v1/models/x/metrics) = %v %q %v", rt.name, name, ok)
	}
}
