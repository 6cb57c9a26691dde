package core

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/internal/ollamastore"
	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

// writeRegistry writes a curated layer (and, when given, a discovered one)
// into a new directory.
func writeRegistry(t testing.TB, curated, discovered string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model_registry.curated.json"), []byte(curated), 0o644); err != nil {
		t.Fatal(err)
	}
	if discovered != "" {
		if err := os.WriteFile(filepath.Join(dir, "model_registry.discovered.json"), []byte(discovered), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// open opens dir with the bundled backends in process and a frozen clock.
func open(t *testing.T, dir string, extra map[string]sdk.Backend) *Loader {
	t.Helper()
	backends := map[string]sdk.Backend{"vllm": vllm.New(), "ollama": ollama.New(), "lmdeploy": lmdeploy.New()}
	for k, v := range extra {
		backends[k] = v
	}
	l, err := Open(context.Background(), Options{
		RegistryDir: dir,
		Backends:    backends,
		Getenv:      func(k string) string { return map[string]string{"HOME": dir, "MY_KEY": "s3cret"}[k] },
		Now:         func() time.Time { return time.Date(2026, 11, 25, 12, 30, 45, 999, time.UTC) },
	})
	if err != nil {
		t.Fatalf("Open(%s) = %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

const rolesRegistry = `[
  {"name": "b-cap", "backend": "vllm", "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 5}},
  {"name": "a-cap", "backend": "vllm", "capabilities": {"vision": {"enabled": true}}, "roles": ["caption"], "role_priority": {"caption": 5}},
  {"name": "blind", "backend": "vllm", "roles": ["caption", "chat"], "role_priority": {"caption": 99, "chat": 3}},
  {"name": "old", "backend": "vllm", "capabilities": {"vision": true}, "roles": ["caption"], "role_priority": {"caption": 100}, "deprecated": true},
  {"name": "chat-hi", "backend": "vllm", "roles": ["chat"], "role_priority": {"chat": 7}},
  {"name": "tools", "backend": "vllm", "capabilities": {"tool_calls": true}, "roles": ["chat"]}
]`

func TestChooseForRole(t *testing.T) {
	l := open(t, writeRegistry(t, rolesRegistry, ""), nil)
	entries := l.reg.Entries(context.Background())
	tests := []struct {
		role            string
		prefer, require []string
		want            string
		wantErr         bool
	}{
		{role: "caption", want: "a-cap"}, // vision required; tie on priority broken by name
		{role: "caption", prefer: []string{"b-cap"}, want: "b-cap"},
		{role: "caption", prefer: []string{"blind", "old", "b-cap"}, want: "b-cap"}, // preferred names must qualify
		{role: "chat", want: "chat-hi"},
		{role: "chat", require: []string{"function_calling"}, want: "tools"},
		{role: "chat", require: []string{"teleport"}, wantErr: true},
		{role: "narration", wantErr: true},
		// Roles compare trimmed and case aside, requirements included.
		{role: " Caption", want: "a-cap"},
		{role: "CHAT", want: "chat-hi"},
	}
	for _, tt := range tests {
		t.Run(tt.role+"/"+strings.Join(append(tt.prefer, tt.require...), ","), func(t *testing.T) {
			got, err := ChooseForRole(entries, tt.role, tt.prefer, tt.require)
			if tt.wantErr {
				var ce *CapabilityError
				if !errors.As(err, &ce) || ce.Role != tt.role || !errors.Is(err, ErrCapability) {
					t.Fatalf("ChooseForRole(%s) = %v, want a *CapabilityError for the role", tt.role, err)
				}
				return
			}
			if err != nil || got.Name() != tt.want {
				t.Fatalf("ChooseForRole(%s, %v, %v) = %v, %v, want %s", tt.role, tt.prefer, tt.require, got, err, tt.want)
			}
		})
	}
}

func TestRoleRequirements(t *testing.T) {
	for role, want := range map[string][]string{
		"caption": {"vision"}, "keywords": {"vision"}, "description": {"vision"}, "narration": {"vision"},
		"chat": {},
	} {
		if got := RoleRequirements(role, nil); !reflect.DeepEqual(got, want) {
			t.Errorf("RoleRequirements(%q) = %v, want %v", role, got, want)
		}
	}
	if got := RoleRequirements("caption", []string{"image", "Tool_Use"}); !reflect.DeepEqual(got, []string{"tools", "vision"}) {
		t.Errorf("RoleRequirements(caption, image, Tool_Use) = %v, want [tools vision]", got)
	}
}

func TestSelect(t *testing.T) {
	l := open(t, writeRegistry(t, `[
  {"name": "v", "backend": "vllm", "backend_config": {"port": 24001}, "capabilities": {"vision": {"enabled": true}}},
  {"name": "o", "backend": "ollama", "backend_config": {"host": "imageworks-ollama", "port": 11434}, "served_model_id": "qwen2.5vl:7b"},
  {"name": "x", "backend": "nosuch"}
]`, ""), nil)
	ctx := context.Background()
	sel, err := l.Select(ctx, "v", SelectOptions{Require: []string{"vision"}})
	if err != nil || sel.Endpoint != "http://localhost:24001/v1" || sel.InternalModelID != "v" || !sel.Capabilities["vision"] {
		t.Errorf("Select(v) = %+v, %v", sel, err)
	}
	sel, err = l.Select(ctx, "o", SelectOptions{})
	if err != nil || sel.Endpoint != "http://imageworks-ollama:11434/v1" || sel.InternalModelID != "qwen2.5vl:7b" {
		t.Errorf("Select(o) = %+v, %v", sel, err)
	}
	var ce *CapabilityError
	if _, err := l.Select(ctx, "o", SelectOptions{Require: []string{"visual"}}); !errors.As(err, &ce) || !reflect.DeepEqual(ce.Missing, []string{"vision"}) {
		t.Errorf("Select(o, visual) = %v, want a capability error missing vision", err)
	}
	if _, err := l.Select(ctx, "nobody", SelectOptions{}); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Select(nobody) = %v, want ErrNotFound", err)
	}
	// No plugin called nosuch anywhere: the error names the executable.
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if _, err := l.Select(ctx, "x", SelectOptions{}); !errors.Is(err, pluginhost.ErrPluginNotFound) || !strings.Contains(err.Error(), "imageworks-backend-nosuch") {
		t.Errorf("Select(x) = %v, want ErrPluginNotFound naming imageworks-backend-nosuch", err)
	}
}

func TestSelectionLiveProblem(t *testing.T) {
	tests := []struct {
		live *LiveCheck
		want error
	}{
		{nil, nil},
		{&LiveCheck{Up: true, Served: true}, nil},
		{&LiveCheck{Up: false}, ErrServerDown},
		{&LiveCheck{Up: true, Served: false}, ErrNotServed},
	}
	for _, tt := range tests {
		sel := Selection{LogicalName: "m", Endpoint: "http://h:1/v1", InternalModelID: "id", Live: tt.live}
		err := sel.LiveProblem()
		if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("LiveProblem(%+v) = %v, want %v", tt.live, err, tt.want)
		}
	}
}

func TestOpenCopiesOptions(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "c", "backend": "counting", "capabilities": {"vision": true}}]`, "")
	backends := map[string]sdk.Backend{"counting": &countingBackend{}}
	l, err := Open(context.Background(), Options{RegistryDir: dir, Backends: backends})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	delete(backends, "counting") // the caller's map is the caller's
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	if sel, err := l.Select(context.Background(), "c", SelectOptions{}); err != nil || sel.Endpoint != "http://127.0.0.1:1/v1" {
		t.Errorf("Select(c) after the caller changed its map = %+v, %v", sel, err)
	}
}

// writeVector3 writes the contract's third test vector folder into dir.
func writeVector3(t *testing.T, dir string) {
	t.Helper()
	weights := make([]byte, 0, 1024)
	for i := 0; i < 4; i++ {
		for b := 0; b < 256; b++ {
			weights = append(weights, byte(b))
		}
	}
	for name, data := range map[string][]byte{
		"config.json":        []byte("{\"architectures\": [\"Demo\"]}\n"),
		"weights.bin":        weights,
		"sub/tokenizer.json": []byte("{}"),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const vector3 = "966f88f1b512256ea45fefab54de413121f7a6a1141b56b2b215ffa09127725d"

func TestVerifyLockUnlock(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "demo", "backend": "vllm", "backend_config": {"model_path": "model"}}]`, "")
	writeVector3(t, filepath.Join(dir, "model"))
	l := open(t, dir, nil)
	ctx := context.Background()

	v, err := l.Verify(ctx, "demo", VerifyOptions{})
	if err != nil || v.AggregateSHA256 != vector3 || v.LastVerified != "2026-11-25T12:30:45Z" || v.Files != 3 {
		t.Fatalf("Verify(demo) = %+v, %v, want aggregate %s stamped 2026-11-25T12:30:45Z", v, err, vector3)
	}
	st, err := l.Lock(ctx, "demo", LockOptions{SetExpected: true})
	if err != nil || !st.Locked || st.ExpectedAggregateSHA256 != vector3 || st.KeptExpected {
		t.Fatalf("Lock(demo, set-expected) = %+v, %v", st, err)
	}
	weights := filepath.Join(dir, "model", "weights.bin")
	data, _ := os.ReadFile(weights)
	data[7] ^= 1
	if err := os.WriteFile(weights, data, 0o644); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "model_registry.discovered.json"))
	_, err = l.Verify(ctx, "demo", VerifyOptions{})
	var lv *artifact.LockViolationError
	if !errors.As(err, &lv) || !errors.Is(err, artifact.ErrLockViolation) || !reflect.DeepEqual(lv.Drift.Changed, []string{"weights.bin"}) || lv.Expected != vector3 {
		t.Fatalf("Verify(demo) after a change = %v, want a violation naming weights.bin", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "model_registry.discovered.json"))
	if !bytes.Equal(before, after) {
		t.Errorf("a violation changed the discovered layer")
	}
	if st, err := l.Unlock(ctx, "demo"); err != nil || st.Locked || !st.Changed || st.ExpectedAggregateSHA256 != vector3 {
		t.Fatalf("Unlock(demo) = %+v, %v", st, err)
	}
	v, err = l.Verify(ctx, "demo", VerifyOptions{})
	if err != nil || v.AggregateSHA256 == vector3 || v.Locked {
		t.Fatalf("Verify(demo) unlocked = %+v, %v, want a new aggregate", v, err)
	}
	st, err = l.Lock(ctx, "demo", LockOptions{SetExpected: true})
	if err != nil || !st.KeptExpected || st.ExpectedAggregateSHA256 != vector3 {
		t.Fatalf("Lock(demo, set-expected) again = %+v, %v, want the stored hash kept", st, err)
	}
}

func TestVerifyMissingArtifacts(t *testing.T) {
	dir := writeRegistry(t, `[
  {"name": "gone", "backend": "vllm", "backend_config": {"model_path": "nowhere"}},
  {"name": "gone-locked", "backend": "vllm", "backend_config": {"model_path": "nowhere"}}
]`, `[{"name": "gone-locked", "version_lock": {"locked": true, "expected_aggregate_sha256": null}}]`)
	l := open(t, dir, nil)
	_, err := l.Verify(context.Background(), "gone", VerifyOptions{})
	if !errors.Is(err, artifact.ErrArtifactsMissing) || errors.Is(err, artifact.ErrLockViolation) {
		t.Errorf("Verify(gone) = %v, want ErrArtifactsMissing and no violation", err)
	}
	_, err = l.Verify(context.Background(), "gone-locked", VerifyOptions{})
	if !errors.Is(err, artifact.ErrLockViolation) {
		t.Errorf("Verify(gone-locked) = %v, want a lock violation", err)
	}
}

func TestIsSchemePath(t *testing.T) {
	for p, want := range map[string]bool{
		"ollama:/llava:7b": true, "ollama:llava": true, "/srv/models/x": false, "models/x": false,
		`C:\models`: false, "": false, "~/models": false,
	} {
		if got := isSchemePath(p); got != want {
			t.Errorf("isSchemePath(%q) = %v, want %v", p, got, want)
		}
	}
}

// redChallenge is the solid red colour challenge.
func redChallenge(t *testing.T) sdk.Challenge {
	t.Helper()
	c, ok := ColourChallenge("red")
	if !ok {
		t.Fatal(`ColourChallenge("red") is not known`)
	}
	return c
}

func TestLoadImage(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "ok.png")
	if err := os.WriteFile(pngPath, redChallenge(t).Image, 0o644); err != nil {
		t.Fatal(err)
	}
	textPath := filepath.Join(dir, "text.png")
	if err := os.WriteFile(textPath, []byte("hello, I am text"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts ProbeOptions
		want error
	}{
		{"png", ProbeOptions{ImagePath: pngPath}, nil},
		{"text", ProbeOptions{ImagePath: textPath}, ErrNotImage},
		{"missing", ProbeOptions{ImagePath: filepath.Join(dir, "nope.png")}, ErrImageMissing},
		{"too large", ProbeOptions{ImagePath: pngPath, MaxImageBytes: 10}, ErrImageTooLarge},
		{"directory", ProbeOptions{ImagePath: dir}, ErrNotImage},
		{"bytes", ProbeOptions{Image: redChallenge(t).Image}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadImage(tt.opts)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("loadImage(%+v) = %v, want %v", tt.opts.ImagePath, err, tt.want)
			}
		})
	}
	if img, err := loadImage(ProbeOptions{}); img != nil || err != nil {
		t.Errorf("loadImage() = %v, %v, want nil, nil (the challenge)", img, err)
	}
}

// countingBackend records whether a probe reached it.
type countingBackend struct {
	sdk.Unimplemented
	probes int
}

func (b *countingBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "counting", Version: "1", DefaultPort: 1}, nil
}

func (b *countingBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: "http://127.0.0.1:1/v1", InternalModelID: req.Entry.Name}, nil
}

func (b *countingBackend) ProbeVision(_ context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	b.probes++
	// The built-in challenge: the image asked about is the challenge, and
	// the answer expected is its colour.
	ok := req.Challenge != nil && len(req.Expect) == 1 && bytes.Equal(req.Image, req.Challenge.Image) &&
		slices.Equal(req.Expect, req.Challenge.Expect) && slices.Contains(ChallengeColours(), req.Expect[0])
	return sdk.ProbeResult{VisionOK: ok, ProbeVersion: "test/1", Notes: []string{"counted"}, StatusCode: 200, LatencyMS: 3}, nil
}

func TestProbeVision(t *testing.T) {
	dir := writeRegistry(t, `[
  {"name": "sees", "backend": "counting", "capabilities": {"vision": {"enabled": true}}},
  {"name": "text", "backend": "counting", "capabilities": {"text": true}}
]`, "")
	cb := &countingBackend{}
	l := open(t, dir, map[string]sdk.Backend{"counting": cb})
	ctx := context.Background()
	var ce *CapabilityError
	if _, err := l.ProbeVision(ctx, "text", ProbeOptions{}); !errors.As(err, &ce) || cb.probes != 0 {
		t.Fatalf("ProbeVision(text) = %v after %d probes, want a capability error and none", err, cb.probes)
	}
	rep, err := l.ProbeVision(ctx, "sees", ProbeOptions{})
	if err != nil || !rep.VisionOK || !rep.Challenge || rep.Timestamp != "2026-11-25T12:30:45Z" || cb.probes != 2 || len(rep.ChallengeColours) != 2 {
		t.Fatalf("ProbeVision(sees) = %+v, %v", rep, err)
	}
	e, err := l.reg.Get(ctx, "sees")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(e.Probes()); !strings.Contains(got, `"vision_ok": true`) && !strings.Contains(got, `"vision_ok":true`) {
		t.Errorf("probes after ProbeVision(sees) = %s, want vision_ok true stored", got)
	}
}

func TestEndpointConfig(t *testing.T) {
	tests := map[string]registry.ImportedConfig{
		"http://127.0.0.1:11434/v1":   {Host: "127.0.0.1", Port: 11434},
		"http://gpu:8000":             {Host: "gpu", Port: 8000},
		"https://gpu.example/v1":      {BaseURL: "https://gpu.example/v1"},
		"http://gpu:8000/openai/v1":   {BaseURL: "http://gpu:8000/openai/v1"},
		"http://no-port.example/v1":   {BaseURL: "http://no-port.example/v1"},
		"http://[::1]:23333/v1":       {Host: "::1", Port: 23333},
		"http://h:1/v1?token=x":       {BaseURL: "http://h:1/v1?token=x"},
		"not a url at all %zz://nope": {BaseURL: "not a url at all %zz://nope"},
	}
	for in, want := range tests {
		if got := endpointConfig(in); got != want {
			t.Errorf("endpointConfig(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestVerifyOllamaBlobs(t *testing.T) {
	store := t.TempDir()
	blobs, err := ollamastore.Write(store, "llava:7b", ollamastore.DefaultLayers())
	if err != nil {
		t.Fatal(err)
	}
	dir := writeRegistry(t, `[
  {"name": "llava", "backend": "ollama", "backend_config": {"model_path": "ollama:/llava:7b"}},
  {"name": "llava-locked", "backend": "ollama", "backend_config": {"model_path": "ollama:/llava:7b"}},
  {"name": "absent", "backend": "ollama", "backend_config": {"model_path": "ollama:/nothere:1b"}}
]`, "")
	env := func(k string) string { return map[string]string{"OLLAMA_MODELS": store}[k] }
	l := open(t, dir, map[string]sdk.Backend{"ollama": ollama.New(ollama.WithGetenv(env))})
	ctx := context.Background()

	v, err := l.Verify(ctx, "llava", VerifyOptions{})
	if err != nil || v.Files != 4 {
		t.Fatalf("Verify(llava) = %+v, %v, want 4 blobs hashed", v, err)
	}
	// The aggregate follows the contract's formula over the blobs' names.
	var files []artifact.File
	for _, b := range blobs {
		name := filepath.Base(b)
		files = append(files, artifact.File{Path: name, SHA256: strings.TrimPrefix(name, "sha256-")})
	}
	if want, _ := artifact.Aggregate(files); v.AggregateSHA256 != want {
		t.Errorf("Verify(llava) aggregate = %s, want %s", v.AggregateSHA256, want)
	}
	if _, err := l.Lock(ctx, "llava-locked", LockOptions{SetExpected: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(ctx, "absent", VerifyOptions{}); !errors.Is(err, artifact.ErrArtifactsMissing) || !strings.Contains(err.Error(), "nothere") {
		t.Errorf("Verify(absent) = %v, want ErrArtifactsMissing naming the model", err)
	}

	// One flipped byte in the weights blob: corrupt, by its own name.
	data, err := os.ReadFile(blobs[1])
	if err != nil {
		t.Fatal(err)
	}
	data[10] ^= 0xff
	if err := os.WriteFile(blobs[1], data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = l.Verify(ctx, "llava", VerifyOptions{})
	if !errors.Is(err, ErrCorruptArtifact) || errors.Is(err, artifact.ErrLockViolation) || !strings.Contains(err.Error(), filepath.Base(blobs[1])) {
		t.Errorf("Verify(llava) after corruption = %v, want ErrCorruptArtifact naming %s", err, filepath.Base(blobs[1]))
	}
	_, err = l.Verify(ctx, "llava-locked", VerifyOptions{})
	var lv *artifact.LockViolationError
	if !errors.As(err, &lv) || !errors.Is(err, ErrCorruptArtifact) || !reflect.DeepEqual(lv.Drift.Changed, []string{filepath.Base(blobs[1])}) {
		t.Errorf("Verify(llava-locked) after corruption = %v, want a violation naming the blob", err)
	}
}

func TestImportEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8000":      "http://127.0.0.1:8000/v1",
		" http://127.0.0.1:8000/ ":   "http://127.0.0.1:8000/v1",
		"http://127.0.0.1:8000/v1/":  "http://127.0.0.1:8000/v1",
		"https://gpu.example/openai": "https://gpu.example/openai",
		"http://h:1?token=x":         "http://h:1?token=x",
	} {
		if got := importEndpoint(in); got != want {
			t.Errorf("importEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

// listingBackend serves a fixed list of models and records the key it got.
type listingBackend struct {
	sdk.Unimplemented
	models  []sdk.ServedModel
	seenKey sdk.Secret
}

func (b *listingBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "fake", Version: "1", DefaultPort: 9}, nil
}

func (b *listingBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: "http://127.0.0.1:9/v1", InternalModelID: req.Entry.Name}, nil
}

func (b *listingBackend) ListModels(_ context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	b.seenKey = req.APIKey
	return b.models, nil
}

func TestImport(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "old-llava", "backend": "fake", "served_model_id": "llava"}]`, "")
	lb := &listingBackend{models: []sdk.ServedModel{
		// Already registered: the entry's served id is this model's alias.
		{ID: "llava:latest", Aliases: []string{"llava"}, ModelPath: "fake:/llava:latest"},
		// New, and listed a second time below under its alias.
		{ID: "a-model:1b", Aliases: []string{"z-alias"}, ModelPath: "fake:/a-model:1b", Family: "demo"},
		{ID: "z-alias"},
	}}
	l := open(t, dir, map[string]sdk.Backend{"fake": lb})
	ctx := context.Background()
	opts := ImportOptions{Endpoint: "http://127.0.0.1:9", APIKey: "k-secret", APIKeyEnv: "FAKE_KEY"}
	got, err := l.Import(ctx, "fake", opts)
	if err != nil || len(got) != 1 || got[0].Name != "a-model:1b" || got[0].Endpoint != "http://127.0.0.1:9/v1" {
		t.Fatalf("Import() = %+v, %v, want only a-model:1b at http://127.0.0.1:9/v1", got, err)
	}
	if lb.seenKey.Reveal() != "k-secret" {
		t.Errorf("ListModels got key %q, want the one given", lb.seenKey.Reveal())
	}
	e, err := l.reg.Get(ctx, "a-model:1b")
	if err != nil {
		t.Fatal(err)
	}
	bc := e.BackendConfig()
	if bc.ModelPath != "fake:/a-model:1b" || bc.APIKeyEnv != "FAKE_KEY" || bc.Host != "127.0.0.1" || bc.Port != 9 || e.ServedModelID() != "a-model:1b" {
		t.Errorf("imported backend_config = %+v (served id %q), want the backend's model path, FAKE_KEY, 127.0.0.1:9", bc, e.ServedModelID())
	}
	if strings.Contains(string(e.Raw()), "k-secret") {
		t.Errorf("the imported record holds the key: %s", e.Raw())
	}
	if again, err := l.Import(ctx, "fake", opts); err != nil || len(again) != 0 {
		t.Errorf("Import() again = %+v, %v, want nothing added", again, err)
	}
}
