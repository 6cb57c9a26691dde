package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// callTimeout bounds every call the kit makes that is not about promptness.
const callTimeout = 20 * time.Second

// suite is one run of the checks against one backend.
type suite struct {
	b      host.Remote
	cfg    config
	info   sdk.Info
	panics *panics
}

// newSuite returns a suite checking b (the host's side of the protocol),
// every call watched for panics. A binary's stderr watch shares p.
func newSuite(b host.Remote, cfg config, p *panics) *suite {
	return &suite{b: watched{b: b, p: p}, cfg: cfg, panics: p}
}

// check is one named conformance check. run returns one line per problem
// found; none means the backend passed.
type check struct {
	name string
	run  func(s *suite) []string
}

func checks() []check {
	return append([]check{
		{"Implements", (*suite).checkImplements},
		{"Resolve", (*suite).checkResolve},
		{"ResolveOffline", (*suite).checkResolveOffline},
		{"UnknownFields", (*suite).checkUnknownFields},
		{"Unreachable", (*suite).checkUnreachable},
		{"Cancellation", (*suite).checkCancellation},
	}, ruleChecks()...)
}

// checks returns the checks c asks for after Info: all of them, less the
// endpoint rules (Resolve) under WithoutEndpointRules.
func (c config) checks() []check {
	all := checks()
	if !c.skipRules {
		return all
	}
	kept := all[:0]
	for _, ch := range all {
		if ch.name != "Resolve" {
			kept = append(kept, ch)
		}
	}
	return kept
}

// runChecks runs every check as a subtest of t. When Info fails the rest
// are not run.
func runChecks(t *testing.T, s *suite) {
	t.Helper()
	cfg := s.cfg
	var infoErr error
	t.Run("Info", func(t *testing.T) {
		var problems []string
		problems, infoErr = s.checkInfo()
		report(t, problems)
	})
	if infoErr != nil {
		t.Fatalf("Info() error = %v; no further checks", infoErr)
	}
	for _, c := range cfg.checks() {
		t.Run(c.name, func(t *testing.T) { report(t, c.run(s)) })
	}
}

func report(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

func callContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), callTimeout)
}

// optionalCalls returns the calls a backend may leave unimplemented, sorted.
func optionalCalls() []string {
	return []string{sdk.CallArtifacts, sdk.CallHealth, sdk.CallListModels, sdk.CallModelLoading, sdk.CallProbeVision, sdk.CallServerCommand}
}

// checkInfo fetches Info into s.info and checks it. It returns Info's error
// when the call failed.
func (s *suite) checkInfo() ([]string, error) {
	ctx, cancel := callContext()
	defer cancel()
	info, err := s.b.Info(ctx)
	if err != nil {
		return []string{fmt.Sprintf("Info() error = %v, want nil", err)}, err
	}
	s.info = info
	var p []string
	if !nameRE.MatchString(info.Name) {
		p = append(p, fmt.Sprintf("Info().Name = %q, want a non-empty lower-case name (letters, digits, inner dashes)", info.Name))
	}
	if s.cfg.name != "" && info.Name != s.cfg.name {
		p = append(p, fmt.Sprintf("Info().Name = %q, want %q", info.Name, s.cfg.name))
	}
	if info.Version == "" {
		p = append(p, `Info().Version = "", want the backend's version`)
	}
	if !slices.Contains(info.Protocols, sdk.ProtocolVersion) {
		p = append(p, fmt.Sprintf("Info().Protocols = %v, want them to include %d", info.Protocols, sdk.ProtocolVersion))
	}
	if info.DefaultPort < 1 || info.DefaultPort > 65535 {
		p = append(p, fmt.Sprintf("Info().DefaultPort = %d, want a TCP port", info.DefaultPort))
	}
	if !slices.IsSorted(info.Implements) {
		p = append(p, fmt.Sprintf("Info().Implements = %q, want it sorted", info.Implements))
	}
	if len(slices.Compact(slices.Clone(info.Implements))) != len(info.Implements) {
		p = append(p, fmt.Sprintf("Info().Implements = %q, want no duplicates", info.Implements))
	}
	for _, c := range info.Implements {
		if !slices.Contains(optionalCalls(), c) {
			p = append(p, fmt.Sprintf("Info().Implements lists %q, want only optional calls %q", c, optionalCalls()))
		}
	}
	return p, nil
}

func (s *suite) implements(call string) bool { return slices.Contains(s.info.Implements, call) }

// conformanceKey is the API key the kit's calls carry, so that the
// Unreachable check can look for it in what comes back.
const conformanceKey sdk.Secret = "plugintest-api-key-5f0c2a"

// callOptional makes the optional call named call, pointed at endpoint with
// conformanceKey, and returns the HealthStatus for Health (else nil) and
// the call's error.
func (s *suite) callOptional(ctx context.Context, call, endpoint string) (*sdk.HealthStatus, error) {
	entry := s.entry(sdk.BackendConfig{BaseURL: endpoint})
	switch call {
	case sdk.CallHealth:
		h, err := s.b.Health(ctx, sdk.HealthRequest{Endpoint: endpoint, Models: []string{entry.Name}, APIKey: conformanceKey})
		return &h, err
	case sdk.CallListModels:
		_, err := s.b.ListModels(ctx, sdk.ListModelsRequest{Endpoint: endpoint, APIKey: conformanceKey})
		return nil, err
	case sdk.CallProbeVision:
		_, err := s.b.ProbeVision(ctx, sdk.ProbeRequest{
			Entry:    entry,
			Endpoint: endpoint,
			ModelID:  entry.Name,
			APIKey:   conformanceKey,
			Image:    tinyPNG(),
			MIMEType: "image/png",
			Prompt:   "What colour is this image? Answer with one word.",
			Expect:   []string{"red"},
			Timeout:  s.cfg.prompt,
		})
		return nil, err
	case sdk.CallArtifacts:
		_, err := s.b.Artifacts(ctx, sdk.ArtifactsRequest{Entry: entry})
		return nil, err
	case sdk.CallServerCommand:
		entry.Config.ModelPath = "/models/conformance-model"
		cmd, err := s.b.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry, Host: "127.0.0.1", Port: 24001})
		if err == nil && (len(cmd.Argv) == 0 || cmd.Ready.Path == "") {
			err = fmt.Errorf("ServerCommand() = argv %q, ready path %q, want a command and a readiness path", cmd.Argv, cmd.Ready.Path)
		}
		return nil, err
	case sdk.CallModelLoading:
		_, err := s.b.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: endpoint, APIKey: conformanceKey})
		return nil, err
	}
	panic("plugintest: unknown call " + call)
}

// entry returns a plausible entry for the backend under test, its Raw
// holding the same fields as JSON.
func (s *suite) entry(cfg sdk.BackendConfig) sdk.Entry {
	e := sdk.Entry{
		Name:         "conformance-model",
		Backend:      s.info.Name,
		Config:       cfg,
		Capabilities: map[string]bool{"text": true, "vision": true},
	}
	e.Raw = rawOf(e, nil)
	return e
}

// rawOf returns the registry JSON of e's typed fields, plus extra keys.
func rawOf(e sdk.Entry, extra map[string]any) json.RawMessage {
	m := map[string]any{
		"name":    e.Name,
		"backend": e.Backend,
		"backend_config": map[string]any{
			"host":     e.Config.Host,
			"port":     e.Config.Port,
			"base_url": e.Config.BaseURL,
		},
		"capabilities": e.Capabilities,
	}
	if e.ServedModelID != "" {
		m["served_model_id"] = e.ServedModelID
	}
	if e.DisplayName != "" {
		m["display_name"] = e.DisplayName
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // only plain values above
	}
	return b
}

func (s *suite) checkImplements() []string {
	endpoint := closedEndpoint()
	var p []string
	for _, call := range optionalCalls() {
		ctx, cancel := callContext()
		_, err := s.callOptional(ctx, call, endpoint)
		cancel()
		switch {
		case !s.implements(call) && !errors.Is(err, sdk.ErrNotImplemented):
			p = append(p, fmt.Sprintf("%s() error = %v, want one wrapping sdk.ErrNotImplemented since Info().Implements does not list %s", call, err, call))
		case s.implements(call) && errors.Is(err, sdk.ErrNotImplemented):
			p = append(p, fmt.Sprintf("%s() error = %v, want an answer since Info().Implements lists %s", call, err, call))
		}
	}
	return p
}

type resolveCase struct {
	name         string
	entry        sdk.Entry
	wantEndpoint string
	wantID       string
}

// resolveCases are the endpoint rules of the registry format, for a backend
// whose default port is port.
func resolveCases(backend string, port int) []resolveCase {
	def := fmt.Sprint(port)
	e := func(name, served string, cfg sdk.BackendConfig) sdk.Entry {
		en := sdk.Entry{Name: name, Backend: backend, ServedModelID: served, Config: cfg}
		en.Raw = rawOf(en, nil)
		return en
	}
	return []resolveCase{
		{"defaults", e("m", "", sdk.BackendConfig{}), "http://localhost:" + def + "/v1", "m"},
		{"port", e("m", "", sdk.BackendConfig{Port: 24001}), "http://localhost:24001/v1", "m"},
		{"host, port 0", e("m", "", sdk.BackendConfig{Host: "gpu-box"}), "http://gpu-box:" + def + "/v1", "m"},
		{"host, port and served id", e("qwen2.5-vl-7b", "qwen2.5vl:7b", sdk.BackendConfig{Host: "imageworks-ollama", Port: 11434}),
			"http://imageworks-ollama:11434/v1", "qwen2.5vl:7b"},
		{"base_url wins", e("m", "", sdk.BackendConfig{BaseURL: " https://gpu.example/v1/ ", Host: "other", Port: 9}),
			"https://gpu.example/v1", "m"},
		{"http host", e("m", "", sdk.BackendConfig{Host: "http://h.example:9/"}), "http://h.example:9", "m"},
		{"https host and port", e("m", "", sdk.BackendConfig{Host: "https://secure.example/v1", Port: 1234}),
			"https://secure.example/v1", "m"},
		{"name with spaces", e("Qwen 2.5 VL (7B, AWQ)", "", sdk.BackendConfig{Port: 7}), "http://localhost:7/v1", "Qwen 2.5 VL (7B, AWQ)"},
	}
}

func (s *suite) checkResolve() []string {
	var p []string
	for _, tc := range resolveCases(s.info.Name, s.info.DefaultPort) {
		ctx, cancel := callContext()
		res, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: tc.entry})
		cancel()
		switch {
		case err != nil:
			p = append(p, fmt.Sprintf("%s: Resolve(%+v) error = %v, want nil", tc.name, tc.entry.Config, err))
		case res.Endpoint != tc.wantEndpoint || res.InternalModelID != tc.wantID:
			p = append(p, fmt.Sprintf("%s: Resolve(%+v, served id %q) = %q, %q, want %q, %q",
				tc.name, tc.entry.Config, tc.entry.ServedModelID, res.Endpoint, res.InternalModelID, tc.wantEndpoint, tc.wantID))
		case res.Live != nil:
			p = append(p, fmt.Sprintf("%s: Resolve() without a live check returned Live = %+v, want nil", tc.name, *res.Live))
		}
	}
	return p
}

// checkResolveOffline wants a Resolve without a live check to leave the
// network alone: the entry points at a server that records connections.
func (s *suite) checkResolveOffline() []string {
	srv := newBlackHole()
	defer srv.Close()
	var p []string
	for _, cfg := range []sdk.BackendConfig{
		{BaseURL: srv.Endpoint()},
		{Host: "127.0.0.1", Port: srv.Port()},
	} {
		// The server never answers: a backend that goes online anyway
		// hangs until this deadline.
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.prompt)
		_, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: s.entry(cfg)})
		cancel()
		switch {
		case srv.WaitConnected(100*time.Millisecond, nil):
			return append(p, fmt.Sprintf("Resolve() without a live check connected to the entry's server %s, want no network use", srv.Endpoint()))
		case err != nil:
			p = append(p, fmt.Sprintf("Resolve(%+v) error = %v, want nil", cfg, err))
		}
	}
	return p
}

func (s *suite) checkUnknownFields() []string {
	base := sdk.Entry{
		Name:          "odd-entry",
		Backend:       s.info.Name,
		ServedModelID: "odd:latest",
		Config:        sdk.BackendConfig{Host: "gpu-box", Port: 4321},
		Capabilities:  map[string]bool{"text": true, "vision": true},
	}
	ctx, cancel := callContext()
	defer cancel()
	want, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: base})
	if err != nil {
		return []string{fmt.Sprintf("Resolve(entry without Raw) error = %v, want nil", err)}
	}
	raws := map[string]json.RawMessage{
		"empty object": json.RawMessage(`{}`),
		"unknown keys": rawOf(base, map[string]any{
			"future_field":         map[string]any{"nested": []any{1, "x", nil, map[string]any{}}},
			"x-vendor":             true,
			"profiles_placeholder": nil,
			"source":               []any{"hf", 3.5},
			"capabilities":         map[string]any{"vision": map[string]any{"enabled": true, "target_long_edge": 448}, "Tool_Use": "yes"},
			"backend_config":       map[string]any{"host": "gpu-box", "port": 4321, "unknown_knob": []any{1}, "extra_args": nil},
			"generation_defaults":  map[string]any{"temperature": 0.2, "stop_sequences": []any{"</s>"}},
		}),
		"nulls": json.RawMessage(`{"name":"odd-entry","backend":` + quote(s.info.Name) +
			`,"display_name":null,"served_model_id":"odd:latest","backend_config":{"host":"gpu-box","port":4321,"base_url":null,"model_path":null},"probes":{"vision":null},"version_lock":{"locked":false,"expected_aggregate_sha256":null}}`),
	}
	var p []string
	for _, name := range []string{"empty object", "unknown keys", "nulls"} {
		e := base
		e.Raw = raws[name]
		got, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: e})
		if err != nil || got.Endpoint != want.Endpoint || got.InternalModelID != want.InternalModelID {
			p = append(p, fmt.Sprintf("%s: Resolve(entry with Raw %s) = %q, %q, %v, want %q, %q, nil as without Raw",
				name, e.Raw, got.Endpoint, got.InternalModelID, err, want.Endpoint, want.InternalModelID))
		}
	}
	return p
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (s *suite) checkUnreachable() []string {
	endpoint := closedEndpoint()
	var p []string
	for _, call := range []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision} {
		if !s.implements(call) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.prompt+callTimeout)
		start := time.Now()
		h, err := s.callOptional(ctx, call, endpoint)
		took := time.Since(start)
		cancel()
		if took > s.cfg.prompt {
			p = append(p, fmt.Sprintf("%s(%s) took %v with nothing listening, want under %v", call, endpoint, took.Round(time.Millisecond), s.cfg.prompt))
		}
		p = append(p, keyShown(call, err, h)...)
		switch {
		case errors.Is(err, sdk.ErrUnavailable):
		case call == sdk.CallHealth && err == nil && !h.Up:
		case call == sdk.CallHealth:
			p = append(p, fmt.Sprintf("Health(%s) = up %v, error %v with nothing listening, want Up false or an error wrapping sdk.ErrUnavailable", endpoint, h.Up, err))
		default:
			p = append(p, fmt.Sprintf("%s(%s) error = %v with nothing listening, want one wrapping sdk.ErrUnavailable", call, endpoint, err))
		}
	}

	return p
}

// keyShown reports the call's error and notes that show the API key.
func keyShown(call string, err error, h *sdk.HealthStatus) []string {
	var p []string
	key := conformanceKey.Reveal()
	if err != nil && strings.Contains(err.Error(), key) {
		p = append(p, fmt.Sprintf("%s() error shows the API key: %v", call, err))
	}
	if h != nil {
		for _, n := range h.Notes {
			if strings.Contains(n, key) {
				p = append(p, fmt.Sprintf("%s() note shows the API key: %q", call, n))
			}
		}
	}
	return p
}

func (s *suite) checkCancellation() []string {
	var p []string
	srv := newBlackHole()
	defer srv.Close()

	// Already cancelled: every call returns promptly.
	calls := map[string]func(ctx context.Context) error{
		"Info": func(ctx context.Context) error { _, err := s.b.Info(ctx); return err },
		"Resolve": func(ctx context.Context) error {
			_, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: s.entry(sdk.BackendConfig{})})
			return err
		},
		"Resolve(live)": func(ctx context.Context) error {
			_, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: s.entry(sdk.BackendConfig{BaseURL: srv.Endpoint()}), Live: true})
			return err
		},
	}
	for _, call := range optionalCalls() {
		calls[call] = func(ctx context.Context) error { _, err := s.callOptional(ctx, call, srv.Endpoint()); return err }
	}
	names := make([]string, 0, len(calls))
	for name := range calls {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if took, returned := within(s.cfg.prompt, func() { _ = calls[name](ctx) }); !returned {
			p = append(p, fmt.Sprintf("%s(cancelled context) still running after %v, want it to return promptly", name, s.cfg.prompt))
		} else if took > s.cfg.prompt {
			p = append(p, fmt.Sprintf("%s(cancelled context) took %v, want under %v", name, took, s.cfg.prompt))
		}
	}

	// Cancelled while waiting on a server that never answers: the call
	// returns and drops its connection promptly.
	inflight := []string{"Resolve(live)"}
	for _, call := range []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision} {
		if s.implements(call) {
			inflight = append(inflight, call)
		}
	}
	for _, name := range inflight {
		srv := newBlackHole()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		var call func(context.Context) error
		if name == "Resolve(live)" {
			call = func(ctx context.Context) error {
				_, err := s.b.Resolve(ctx, sdk.ResolveRequest{Entry: s.entry(sdk.BackendConfig{BaseURL: srv.Endpoint()}), Live: true})
				return err
			}
		} else {
			c := name
			call = func(ctx context.Context) error { _, err := s.callOptional(ctx, c, srv.Endpoint()); return err }
		}
		go func() {
			_ = call(ctx)
			close(done)
		}()
		connected := srv.WaitConnected(s.cfg.prompt, done)
		cancel()
		select {
		case <-done:
		case <-time.After(s.cfg.prompt):
			p = append(p, fmt.Sprintf("%s() still running %v after its context was cancelled, want it to return promptly", name, s.cfg.prompt))
		}
		if connected && !srv.WaitAllClosed(s.cfg.prompt) {
			p = append(p, fmt.Sprintf("%s() kept its connection to the server open %v after its context was cancelled, want the request abandoned", name, s.cfg.prompt))
		}
		srv.Close()
	}
	return p
}

// within runs f and reports how long it took, or returned false if it had
// not returned after d (f keeps running in the background).
func within(d time.Duration, f func()) (time.Duration, bool) {
	start := time.Now()
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	select {
	case <-done:
		return time.Since(start), true
	case <-time.After(d):
		return d, false
	}
}
