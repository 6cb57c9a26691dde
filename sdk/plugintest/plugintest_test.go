package plugintest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// The test binary doubles as a plugin: started as imageworks-backend-fake
// (by TestRunBinary, through the real plugin host), it serves the
// conformant fake.
func TestMain(m *testing.M) {
	ServeIfNamed("fake", fake{name: "fake"})
	ServeIfNamed("fake-crasher", fake{name: "fake-crasher", crashes: true})
	ServeIfNamed("fake-cancel-panicker", fake{name: "fake-cancel-panicker", panicsOnCancel: true})
	os.Exit(m.Run())
}

func TestRun(t *testing.T) {
	Run(t, fake{name: "fake"})
}

func TestRunWithName(t *testing.T) {
	Run(t, fake{name: "fake"}, WithName("fake"), WithPromptness(5*time.Second))
}

func TestRunBinary(t *testing.T) {
	RunBinary(t, CopySelf(t, "fake"))
}

func TestCopySelf(t *testing.T) {
	path := CopySelf(t, "some-name")
	if name, err := nameFromPath(path); err != nil || name != "some-name" {
		t.Errorf("CopySelf(some-name) = %s, named %q, %v, want a file named imageworks-backend-some-name", path, name, err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	a, errA := os.Stat(self)
	b, errB := os.Stat(path)
	if errA != nil || errB != nil || a.Size() != b.Size() || b.Mode()&0o111 == 0 && runtime.GOOS != "windows" {
		t.Errorf("CopySelf() made %v, %v, want an executable copy of the test binary %v", b, errB, a)
	}
}

// TestChecksFindDefects runs each check against a backend with one planted
// defect, through the protocol, and wants the defect reported.
func TestChecksFindDefects(t *testing.T) {
	all := []string{sdk.CallArtifacts, sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision}
	for _, tc := range []struct {
		name    string
		backend fake
		check   string
		want    string
	}{
		{"upper-case name", fake{name: "Fake"}, "Info", "lower-case"},
		{"dotted name", fake{name: "my.backend"}, "Info", "lower-case"},
		{"no version", fake{name: "fake", noVersion: true}, "Info", "Version"},
		{"unsorted implements", fake{name: "fake", implements: []string{sdk.CallHealth, sdk.CallArtifacts, sdk.CallListModels, sdk.CallProbeVision}}, "Info", "sorted"},
		{"required call in implements", fake{name: "fake", implements: append([]string{"Resolve"}, all...)}, "Info", `"Resolve"`},
		{"listed but not implemented", fake{name: "fake", notImplemented: []string{sdk.CallListModels}}, "Implements", "ListModels() error"},
		{"implemented but not listed", fake{name: "fake", implements: []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision}}, "Implements", "Artifacts() error = <nil>"},
		{"trailing slash kept", fake{name: "fake", keepSlash: true}, "Resolve", "base_url wins"},
		{"resolve goes online", fake{name: "fake", alwaysLive: true}, "ResolveOffline", "connected to the entry's server"},
		{"unknown fields refused", fake{name: "fake", strictRaw: true}, "UnknownFields", "unknown keys"},
		{"plain error when unreachable", fake{name: "fake", plainErrors: true}, "Unreachable", "ListModels"},
		{"key in a note", fake{name: "fake", leaksKey: true}, "Unreachable", "Health() note shows the API key"},
		{"key in an error", fake{name: "fake", leaksKey: true}, "Unreachable", "ListModels() error shows the API key"},
		{"context ignored", fake{name: "fake", ignoreContext: true}, "Cancellation", "Health() kept its connection"},
		{"live check of a down server fails", fake{name: "fake", liveErrors: true}, "ResolveLive", "a down server is not an error"},
		{"no per-model statuses", fake{name: "fake", noModelStatuses: true}, "HealthModels", "one status per model asked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := inProcess(t, tc.backend, WithPromptness(time.Second))
			problems, err := s.checkInfo()
			if err != nil {
				t.Fatalf("checkInfo() error = %v", err)
			}
			if tc.check != "Info" {
				problems = nil
				for _, c := range checks() {
					if c.name == tc.check {
						problems = c.run(s)
					}
				}
			}
			found := false
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("check %s = %q, want a problem containing %q", tc.check, problems, tc.want)
			}
		})
	}
}

func TestWithName(t *testing.T) {
	s := inProcess(t, fake{name: "fake"}, WithName("other"))
	problems, err := s.checkInfo()
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0], `want "other"`) {
		t.Errorf("checkInfo() with WithName(other) = %q, %v, want one problem naming %q", problems, err, "other")
	}
}

// TestWithoutEndpointRules: the option drops the endpoint-rules check, and
// only it, so a backend with its own endpoint rules passes the kit.
func TestWithoutEndpointRules(t *testing.T) {
	names := func(opts ...Option) []string {
		var out []string
		for _, c := range newConfig(opts).checks() {
			out = append(out, c.name)
		}
		return out
	}
	all, without := names(), names(WithoutEndpointRules())
	if !slices.Contains(all, "Resolve") || slices.Contains(without, "Resolve") || len(without) != len(all)-1 {
		t.Errorf("checks = %q, with WithoutEndpointRules %q: want the same less Resolve", all, without)
	}
}

func TestNameFromPath(t *testing.T) {
	for _, tc := range []struct {
		path, want string
		err        bool
	}{
		{"/x/imageworks-backend-vllm", "vllm", false},
		{"imageworks-backend-llama-cpp", "llama-cpp", false},
		{"/p/imageworks-backend-ollama_v1.2.3", "ollama", false},
		{"/p/imageworks-backend-", "", true},
		{"/p/imageworks-backend-VLLM", "", true},
		{"/p/backend-vllm", "", true},
		{"/p/imageworks-backend-a_b", "", true},
		// The host ignores these, so the kit must refuse them too.
		{"/p/imageworks-backend-x_v1.2.3.4", "", true},
		{"/p/imageworks-backend-x_v1.2.3abc", "", true},
	} {
		got, err := nameFromPath(tc.path)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("nameFromPath(%q) = %q, %v, want %q, error %v", tc.path, got, err, tc.want, tc.err)
		}
	}
}

// inProcess returns a suite checking b served in this process, watched as
// Run watches it.
func inProcess(t *testing.T, b sdk.Backend, opts ...Option) *suite {
	t.Helper()
	p := &panics{}
	return newSuite(serveInProcess(t, b, p), newConfig(opts), p)
}

// runNamed runs the checks named, in order, and returns their problems.
func runNamed(s *suite, names ...string) []string {
	var problems []string
	for _, name := range names {
		for _, c := range checks() {
			if c.name == name {
				problems = append(problems, c.run(s)...)
			}
		}
	}
	return problems
}

func containsProblem(problems []string, want string) bool {
	for _, p := range problems {
		if strings.Contains(p, want) {
			return true
		}
	}
	return false
}

// TestPanicFailsInProcess: a method that panics fails the Panics check,
// although sdk.Serve turned the panic into a failed call that the other
// checks accept.
func TestPanicFailsInProcess(t *testing.T) {
	s := inProcess(t, fake{name: "fake", panics: true}, WithPromptness(time.Second))
	if _, err := s.checkInfo(); err != nil {
		t.Fatal(err)
	}
	if p := runNamed(s, "Cancellation"); len(p) != 0 {
		t.Fatalf("Cancellation = %q, want no problem (a failed call is accepted there)", p)
	}
	if p := runNamed(s, "Panics"); !containsProblem(p, "ListModels() panicked in the plugin") {
		t.Errorf("Panics = %q, want ListModels' panic reported", p)
	}
}

// TestPanicFailsBinary: a plugin binary that dies of a panic in a
// goroutine of its own fails the Panics check, which reads its stderr.
func TestPanicFailsBinary(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the host's stderr watch is tested on Unix")
	}
	b, p := startBinary(t, CopySelf(t, "fake-crasher"))
	s := newSuite(b, newConfig([]Option{WithPromptness(time.Second)}), p)
	if _, err := s.checkInfo(); err != nil {
		t.Fatal(err)
	}
	runNamed(s, "Unreachable")
	// The trace reaches the host shortly after the process died.
	deadline := time.Now().Add(5 * time.Second)
	var problems []string
	for time.Now().Before(deadline) {
		if problems = runNamed(s, "Panics"); containsProblem(problems, "fake: crashing on purpose") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("Panics = %q, want the Go panic on the plugin's stderr reported", problems)
}

// TestCancelledPanicFails: a Health that panics only once its call was
// cancelled in flight, which the kit's own Cancellation check does, fails
// the Panics check, in process and as a binary, although the panic
// reaches no caller: the plugin's "backend panicked" records show it, and
// the check lets the abandoned calls finish before it reports.
func TestCancelledPanicFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		suite func(t *testing.T) *suite
	}{
		{"in process", func(t *testing.T) *suite {
			return inProcess(t, fake{name: "fake", panicsOnCancel: true}, WithPromptness(time.Second))
		}},
		{"binary", func(t *testing.T) *suite {
			b, p := startBinary(t, CopySelf(t, "fake-cancel-panicker"))
			return newSuite(b, newConfig([]Option{WithPromptness(time.Second)}), p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.suite(t)
			if _, err := s.checkInfo(); err != nil {
				t.Fatal(err)
			}
			if p := runNamed(s, "Cancellation"); len(p) != 0 {
				t.Fatalf("Cancellation = %q, want no problem (the calls return promptly)", p)
			}
			p := runNamed(s, "Panics")
			for _, call := range []string{"Health", "Resolve"} {
				if !containsProblem(p, call+"() panicked in the plugin: fake: Health panics once cancelled") {
					t.Errorf("Panics = %q, want %s's panic after its cancellation reported", p, call)
				}
			}
		})
	}
}

// TestPanicReportedOnce: a panic both a failed call and the plugin's log
// record show is reported once, as the record says it.
func TestPanicReportedOnce(t *testing.T) {
	p := &panics{}
	p.note("ListModels", fmt.Errorf("ListModels: %w", host.ErrPanicked))
	w := &logWatch{p: p}
	fmt.Fprintln(w, `{"@level":"error","@message":"backend panicked","call":"ListModels","panic":"boom","stack":"..."}`)
	p.note("Health", fmt.Errorf("Health: %w", host.ErrPanicked))
	got := p.list()
	want := []string{
		`ListModels() panicked in the plugin: boom (the plugin logged "backend panicked")`,
		"Health() panicked in the plugin: Health: plugin panicked",
	}
	if !slices.Equal(got, want) {
		t.Errorf("list() = %q, want %q", got, want)
	}
}

func TestNoPanicNoProblem(t *testing.T) {
	s := inProcess(t, fake{name: "fake"})
	if _, err := s.checkInfo(); err != nil {
		t.Fatal(err)
	}
	if p := runNamed(s, "Implements", "Panics"); len(p) != 0 {
		t.Errorf("Implements, Panics = %q, want no problem", p)
	}
}

// runner is fake with a ServerCommand whose Secrets are marked honestly,
// or, with stray, hold a value the command does not carry.
type runner struct {
	fake
	stray bool
}

func (r runner) Info(ctx context.Context) (sdk.Info, error) {
	info, err := r.fake.Info(ctx)
	info.Implements = append(info.Implements, sdk.CallServerCommand)
	slices.Sort(info.Implements)
	return info, err
}

func (r runner) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	cmd := sdk.ServerCommand{
		Argv:    []string{"server", req.Entry.Config.ModelPath, "--auth", "tok-in-argv"},
		Env:     []string{"SERVER_TOKEN=tok-in-env"},
		Ready:   sdk.ReadyCheck{Path: "/health"},
		Secrets: []sdk.Secret{"tok-in-argv", "tok-in-env"},
	}
	if r.stray {
		cmd.Secrets = append(cmd.Secrets, "tok-nowhere")
	}
	return cmd, nil
}

// TestServerSecretsCheck: the kit accepts credentials a ServerCommand marks
// in its Argv or Env and reports one it marks but does not carry.
func TestServerSecretsCheck(t *testing.T) {
	for _, tc := range []struct {
		stray bool
		want  int
	}{{false, 0}, {true, 1}} {
		s := inProcess(t, runner{fake: fake{name: "fake"}, stray: tc.stray})
		if _, err := s.checkInfo(); err != nil {
			t.Fatalf("checkInfo() error = %v", err)
		}
		problems := s.checkServerSecrets()
		if len(problems) != tc.want || tc.want > 0 && !strings.Contains(problems[0], "Secrets[2] is in neither Argv nor Env") {
			t.Errorf("checkServerSecrets() with stray %v = %q, want %d problem(s)", tc.stray, problems, tc.want)
		}
	}
}
