package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// ruleChecks are the checks of the guide's rules for answers (as opposed to
// errors), and the panic check, which runs last so that it sees every call.
func ruleChecks() []check {
	return []check{
		{"ResolveLive", (*suite).checkResolveLive},
		{"HealthModels", (*suite).checkHealthModels},
		{"ServerSecrets", (*suite).checkServerSecrets},
		{"Panics", (*suite).checkPanics},
	}
}

// checkResolveLive wants Resolve with a live check of a server that is down
// to succeed and say so in Live (Up false): a down server is an answer, not
// an error. A backend without Health may leave Live unset.
func (s *suite) checkResolveLive() []string {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.prompt+callTimeout)
	defer cancel()
	port := portOf(closedEndpoint())
	res, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: s.entry(sdk.BackendConfig{Host: "127.0.0.1", Port: port}), Live: true, APIKey: conformanceKey})
	p := keyShown("Resolve", err, res.Live)
	switch {
	case err != nil:
		p = append(p, fmt.Sprintf("Resolve(live, port %d) error = %v with nothing listening, want a result with Live.Up false: a down server is not an error", port, err))
	case res.Live == nil && s.implements(sdk.CallHealth):
		p = append(p, fmt.Sprintf("Resolve(live, port %d).Live = nil, want what the live check found (Up false)", port))
	case res.Live != nil && res.Live.Up:
		p = append(p, fmt.Sprintf("Resolve(live, port %d).Live.Up = true with nothing listening, want false", port))
	}
	return p
}

// checkServerSecrets wants every credential a ServerCommand answer marks
// (sdk.ServerCommand.Secrets) to be a non-empty value the command carries
// in Argv or Env: the host masks those, so a value marked by mistake hides
// nothing and means the real credential goes unmasked.
func (s *suite) checkServerSecrets() []string {
	if !s.implements(sdk.CallServerCommand) {
		return nil
	}
	ctx, cancel := callContext()
	defer cancel()
	e := s.entry(sdk.BackendConfig{ModelPath: "/models/conformance-model"})
	cmd, err := s.b.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: e, Host: "127.0.0.1", Port: 24001})
	if err != nil {
		return nil // judged by Implements
	}
	var p []string
	for i, sec := range cmd.Secrets {
		v := sec.Reveal()
		carried := func(a string) bool { return strings.Contains(a, v) }
		switch {
		case v == "":
			p = append(p, fmt.Sprintf("ServerCommand().Secrets[%d] is empty, want only credentials the command carries", i))
		case !slices.ContainsFunc(cmd.Argv, carried) && !slices.ContainsFunc(cmd.Env, carried):
			p = append(p, fmt.Sprintf("ServerCommand().Secrets[%d] is in neither Argv nor Env, want only credentials the command carries", i))
		}
	}
	return p
}

// healthModels are the ids the HealthModels check asks about.
func healthModels() []string {
	return []string{"conformance-model", "conformance-other:latest", "Conformance Model (3)"}
}

// checkHealthModels wants every Health answer to hold one status per model
// asked, with its id, in request order: of a server that is down (none
// served) and of a stand-in that answers every route as a healthy
// OpenAI-compatible server would. An error is judged by other checks.
func (s *suite) checkHealthModels() []string {
	if !s.implements(sdk.CallHealth) {
		return nil
	}
	srv := newAnswering(healthModels()[0])
	defer srv.Close()
	var p []string
	for _, tc := range []struct {
		endpoint string
		down     bool
	}{{closedEndpoint(), true}, {srv.URL + "/v1", false}} {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.prompt+callTimeout)
		h, err := s.b.Health(ctx, sdk.HealthRequest{Endpoint: tc.endpoint, Models: healthModels(), APIKey: conformanceKey})
		cancel()
		if err != nil {
			continue
		}
		if !sameIDs(h.Models, healthModels()) {
			p = append(p, fmt.Sprintf("Health(%s, models %q).Models = %+v, want one status per model asked, with its id, in request order",
				tc.endpoint, healthModels(), h.Models))
			continue
		}
		for _, m := range h.Models {
			if tc.down && m.Served {
				p = append(p, fmt.Sprintf("Health(%s).Models says %q is served with nothing listening, want Served false", tc.endpoint, m.ID))
			}
		}
	}
	return p
}

func sameIDs(got []sdk.ModelStatus, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i, m := range got {
		if m.ID != want[i] {
			return false
		}
	}
	return true
}

// checkPanics reports every panic seen in the run, once the calls the kit
// gave up on can have finished in the plugin (see inflight.settle).
func (s *suite) checkPanics() []string {
	s.panics.calls.settle(s.cfg.prompt)
	return s.panics.list()
}

// newAnswering starts a stand-in that answers, for model id, the health
// and model-listing routes of the common OpenAI-compatible servers (vLLM's
// and llama.cpp's /health, /version, /v1/models; Ollama's /api/tags and
// /api/version; TGI's /info), and {} with status 200 anywhere else.
func newAnswering(id string) *httptest.Server {
	routes := map[string]any{
		"/health":      map[string]any{"status": "ok"},
		"/version":     map[string]any{"version": "0.0.0-plugintest"},
		"/v1/models":   map[string]any{"object": "list", "data": []any{map[string]any{"id": id, "object": "model"}}},
		"/api/tags":    map[string]any{"models": []any{map[string]any{"name": id, "model": id}}},
		"/api/version": map[string]any{"version": "0.0.0-plugintest"},
		"/info":        map[string]any{"model_id": id},
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := routes[strings.TrimSuffix(r.URL.Path, "/")]
		if !ok {
			body = map[string]any{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	}))
}
