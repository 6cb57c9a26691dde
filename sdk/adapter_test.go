package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// recorder is a Backend that records the requests it gets and answers with
// whatever the test put in it.
type recorder struct {
	mu   sync.Mutex
	reqs []any

	info       sdk.Info
	resolution sdk.Resolution
	health     sdk.HealthStatus
	models     []sdk.ServedModel
	probe      sdk.ProbeResult
	artifacts  sdk.ArtifactSet
	command    sdk.ServerCommand
	loaded     []sdk.LoadedModel
	err        error
	// block makes every call wait for its context and report what ended it.
	block bool
	// seen receives the context error a blocked call observed.
	seen chan error
	// deadline receives whether a call's context had a deadline.
	deadline chan bool
	panicMsg string
}

func (r *recorder) record(ctx context.Context, req any) error {
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.mu.Unlock()
	if r.deadline != nil {
		_, ok := ctx.Deadline()
		r.deadline <- ok
	}
	if r.panicMsg != "" {
		panic(r.panicMsg)
	}
	if r.block {
		<-ctx.Done()
		if r.seen != nil {
			r.seen <- ctx.Err()
		}
		return fmt.Errorf("blocked call: %w", ctx.Err())
	}
	return r.err
}

func (r *recorder) last() any {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		return nil
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) Info(ctx context.Context) (sdk.Info, error) {
	return r.info, r.record(ctx, "info")
}

func (r *recorder) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return r.resolution, r.record(ctx, req)
}

func (r *recorder) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return r.health, r.record(ctx, req)
}

func (r *recorder) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	return r.models, r.record(ctx, req)
}

func (r *recorder) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return r.probe, r.record(ctx, req)
}

func (r *recorder) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	return r.artifacts, r.record(ctx, req)
}

func (r *recorder) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	return r.command, r.record(ctx, req)
}

func (r *recorder) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	var m sdk.LoadedModel
	if len(r.loaded) > 0 {
		m = r.loaded[0]
	}
	return m, r.record(ctx, req)
}

func (r *recorder) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	return r.record(ctx, req)
}

func (r *recorder) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return r.loaded, r.record(ctx, req)
}

// connect serves b through the plugin-side adapter and returns the
// host-side adapter connected to it in this process.
func connect(t *testing.T, b sdk.Backend) host.Remote {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, sdk.PluginSetsOf(b)[sdk.ProtocolVersion])
	// Closing the client shuts the server down too (go-plugin's controller
	// service); stopping it here as well would race with that.
	t.Cleanup(func() { _ = client.Close() })
	got, err := host.DispenseRemote(client)
	if err != nil {
		t.Fatalf("host.DispenseRemote() error = %v", err)
	}
	return got
}

func fullEntry() sdk.Entry {
	return sdk.Entry{
		Name:          "qwen2.5-vl-7b (awq)",
		DisplayName:   "Qwen 2.5 VL",
		Backend:       "vllm",
		ServedModelID: "qwen2.5vl:7b",
		Config: sdk.BackendConfig{
			Host:      "gpu.example",
			Port:      24001,
			BaseURL:   " https://gpu.example/v1/ ",
			ModelPath: "/models/qwen",
			ExtraArgs: []string{"--max-model-len", "8192"},
			APIKeyEnv: "VLLM_KEY",
		},
		Capabilities: map[string]bool{"text": true, "vision": true, "tools": false},
		Raw:          json.RawMessage(`{"name":"qwen2.5-vl-7b (awq)","future_key":{"x":[1,2]},"backend":"vllm"}`),
	}
}

func TestAdapterRoundTrip(t *testing.T) {
	health := sdk.HealthStatus{
		Up:        true,
		Version:   "0.6.3",
		Models:    []sdk.ModelStatus{{ID: "a", Served: true}, {ID: "b"}},
		Served:    []string{"a", "a-alias"},
		LatencyMS: 12,
		Notes:     []string{"n1", "n2"},
	}
	rec := &recorder{
		info: sdk.Info{
			Name:        "vllm",
			Version:     "1.2.3",
			Protocols:   []int{1, 2},
			DefaultPort: 8000,
			Implements:  []string{sdk.CallArtifacts, sdk.CallHealth},
			Description: "vLLM's OpenAI-compatible server",
			Homepage:    "https://docs.vllm.ai",
		},
		resolution: sdk.Resolution{
			Endpoint:        "http://localhost:8000/v1",
			InternalModelID: "qwen",
			Notes:           []string{"from base_url"},
			Live:            &health,
		},
		health: health,
		models: []sdk.ServedModel{
			{
				ID: "m1", Aliases: []string{"x", "y"}, Root: "/models/m1", Parent: "base",
				Capabilities: map[string]bool{"vision": true, "text": false},
				Family:       "qwen", Quantization: "q4", SizeBytes: 1 << 40, ContextLength: 32768, Digest: "sha256:ab",
				ModelPath: "ollama:/m1:latest",
			},
			{ID: "m2", Capabilities: map[string]bool{}},
			{ID: "m3"},
		},
		probe: sdk.ProbeResult{
			VisionOK: true, LatencyMS: 345, Notes: []string{"saw red"}, Model: "m1",
			Excerpt: "A red square", StatusCode: 200, ProbeVersion: "probe/2",
		},
		artifacts: sdk.ArtifactSet{
			Root:  "/var/lib/ollama/models",
			Files: []sdk.ArtifactFile{{Path: "blobs/sha256-aa", SHA256: "aa"}, {Path: "manifests/x"}},
		},
		command: sdk.ServerCommand{
			Argv: []string{"vllm", "serve", "/models/qwen"}, Env: []string{"VLLM_LOGGING_LEVEL=INFO"}, Dir: "/srv",
			Ready: sdk.ReadyCheck{Path: "/health", Status: 204}, ServedModelID: "qwen", Warnings: []string{"--seed given twice"},
			Secrets: []sdk.Secret{"hf_marked_by_plugin"},
		},
		loaded: []sdk.LoadedModel{
			{ID: "llava:latest", SizeBytes: 5 << 30, VRAMBytes: 4 << 30, ExpiresAt: time.Date(2026, 12, 1, 10, 30, 0, 123456789, time.UTC)},
			{ID: "qwen3:8b"},
		},
	}
	b := connect(t, rec)
	ctx := context.Background()
	requireAllSet(t, "Info", rec.info)
	requireAllSet(t, "Resolution", rec.resolution)
	requireAllSet(t, "ServedModel", rec.models[0])
	requireAllSet(t, "ProbeResult", rec.probe)
	requireAllSet(t, "ArtifactSet", rec.artifacts)
	requireAllSet(t, "Entry", fullEntry())
	requireAllSet(t, "ServerCommand", rec.command)
	requireAllSet(t, "LoadedModel", rec.loaded[0])

	t.Run("Info", func(t *testing.T) {
		got, err := b.Info(ctx)
		if err != nil || !reflect.DeepEqual(got, rec.info) {
			t.Errorf("Info() = %+v, %v, want %+v, nil", got, err, rec.info)
		}
	})
	t.Run("Resolve", func(t *testing.T) {
		req := sdk.ResolveRequest{Entry: fullEntry(), Live: true, APIKey: "secret"}
		requireAllSet(t, "ResolveRequest", req)
		got, err := b.Resolve(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.resolution) {
			t.Errorf("Resolve() = %+v, %v, want %+v, nil", got, err, rec.resolution)
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
	})
	t.Run("Health", func(t *testing.T) {
		req := sdk.HealthRequest{Endpoint: "http://h:1/v1", Models: []string{"a", "b"}, APIKey: "k"}
		requireAllSet(t, "HealthRequest", req)
		got, err := b.Health(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.health) {
			t.Errorf("Health() = %+v, %v, want %+v, nil", got, err, rec.health)
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
	})
	t.Run("ListModels", func(t *testing.T) {
		req := sdk.ListModelsRequest{Endpoint: "http://h:1/v1", APIKey: "k"}
		requireAllSet(t, "ListModelsRequest", req)
		got, err := b.ListModels(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.models) {
			t.Errorf("ListModels() = %+v, %v, want %+v, nil", got, err, rec.models)
		}
		if got[1].Capabilities == nil || got[2].Capabilities != nil {
			t.Errorf("ListModels() capabilities = %v, %v, want empty non-nil, nil", got[1].Capabilities, got[2].Capabilities)
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
	})
	t.Run("ProbeVision", func(t *testing.T) {
		reqs := []sdk.ProbeRequest{
			{
				Entry: fullEntry(), Endpoint: "http://h:1/v1", ModelID: "m1", APIKey: "k",
				Image: []byte{0x89, 'P', 'N', 'G', 0}, MIMEType: "image/png", Prompt: "what colour?",
				Expect: []string{"red", "crimson"},
				Challenge: &sdk.Challenge{
					Image: []byte{1, 2, 3}, MIMEType: "image/jpeg", Prompt: "what shape?", Expect: []string{"square"},
				},
				Timeout: 1500 * time.Millisecond,
			},
			{Entry: fullEntry(), Image: []byte{1}},
		}
		requireAllSet(t, "ProbeRequest", reqs[0])
		for _, req := range reqs {
			got, err := b.ProbeVision(ctx, req)
			if err != nil || !reflect.DeepEqual(got, rec.probe) {
				t.Errorf("ProbeVision() = %+v, %v, want %+v, nil", got, err, rec.probe)
			}
			if !reflect.DeepEqual(rec.last(), req) {
				t.Errorf("backend got %+v, want %+v", rec.last(), req)
			}
		}
	})
	t.Run("Artifacts", func(t *testing.T) {
		req := sdk.ArtifactsRequest{Entry: fullEntry()}
		got, err := b.Artifacts(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.artifacts) {
			t.Errorf("Artifacts() = %+v, %v, want %+v, nil", got, err, rec.artifacts)
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
	})
	t.Run("ServerCommand", func(t *testing.T) {
		req := sdk.ServerCommandRequest{Entry: fullEntry(), Host: "127.0.0.1", Port: 8001}
		requireAllSet(t, "ServerCommandRequest", req)
		got, err := b.ServerCommand(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.command) {
			t.Errorf("ServerCommand() = %+v, %v, want %+v, nil", got, err, rec.command)
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
	})
	t.Run("ModelLoading", func(t *testing.T) {
		req := sdk.LoadModelRequest{Entry: fullEntry(), Endpoint: "http://h:11434/v1", APIKey: "k"}
		requireAllSet(t, "LoadModelRequest", req)
		got, err := b.LoadModel(ctx, req)
		if err != nil || !reflect.DeepEqual(got, rec.loaded[0]) {
			t.Errorf("LoadModel() = %+v, %v, want %+v, nil", got, err, rec.loaded[0])
		}
		if !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("backend got %+v, want %+v", rec.last(), req)
		}
		if err := b.UnloadModel(ctx, req); err != nil || !reflect.DeepEqual(rec.last(), req) {
			t.Errorf("UnloadModel() = %v; backend got %+v, want %+v", err, rec.last(), req)
		}
		lreq := sdk.LoadedModelsRequest{Endpoint: "http://h:11434/v1", APIKey: "k"}
		requireAllSet(t, "LoadedModelsRequest", lreq)
		all, err := b.LoadedModels(ctx, lreq)
		if err != nil || !reflect.DeepEqual(all, rec.loaded) {
			t.Errorf("LoadedModels() = %+v, %v, want %+v, nil", all, err, rec.loaded)
		}
		if !reflect.DeepEqual(rec.last(), lreq) {
			t.Errorf("backend got %+v, want %+v", rec.last(), lreq)
		}
	})
}

func TestAdapterZeroValues(t *testing.T) {
	rec := &recorder{info: sdk.Info{Name: "x"}}
	b := connect(t, rec)
	ctx := context.Background()

	info, err := b.Info(ctx)
	if err != nil || !reflect.DeepEqual(info.Protocols, []int{sdk.ProtocolVersion}) {
		t.Errorf("Info() protocols = %v, %v, want [%d] filled in by the plugin side", info.Protocols, err, sdk.ProtocolVersion)
	}
	res, err := b.Resolve(ctx, sdk.ResolveRequest{})
	if err != nil || res.Live != nil {
		t.Errorf("Resolve() live = %+v, %v, want nil, nil", res.Live, err)
	}
	if got := rec.last(); !reflect.DeepEqual(got, sdk.ResolveRequest{}) {
		t.Errorf("backend got %+v, want the zero request", got)
	}
	models, err := b.ListModels(ctx, sdk.ListModelsRequest{})
	if err != nil || models != nil {
		t.Errorf("ListModels() = %v, %v, want nil, nil", models, err)
	}
}

func TestAdapterErrors(t *testing.T) {
	sentinels := []error{
		sdk.ErrNotImplemented, sdk.ErrModelNotFound, sdk.ErrUnauthorized,
		sdk.ErrUnavailable, sdk.ErrBadRequest, sdk.ErrBadResponse,
		context.Canceled, context.DeadlineExceeded,
	}
	for _, want := range sentinels {
		t.Run(want.Error(), func(t *testing.T) {
			perr := fmt.Errorf("model %q at http://h:1/v1: %w", "m1", want)
			b := connect(t, &recorder{err: perr})
			_, err := b.Health(context.Background(), sdk.HealthRequest{})
			if !errors.Is(err, want) {
				t.Fatalf("Health() error = %v, want one wrapping %v", err, want)
			}
			if err.Error() != perr.Error() {
				t.Errorf("Health() error = %q, want the plugin's message %q", err, perr)
			}
			for _, other := range sentinels {
				if other != want && errors.Is(err, other) {
					t.Errorf("Health() error %v also wraps %v", err, other)
				}
			}
			if errors.Is(err, host.ErrTransport) {
				t.Errorf("Health() error %v wraps host.ErrTransport, want a plugin error", err)
			}
		})
	}
	t.Run("no sentinel", func(t *testing.T) {
		b := connect(t, &recorder{err: errors.New("disk on fire")})
		_, err := b.Artifacts(context.Background(), sdk.ArtifactsRequest{})
		if err == nil || err.Error() != "disk on fire" {
			t.Fatalf("Artifacts() error = %v, want %q", err, "disk on fire")
		}
		for _, s := range append(sentinels, host.ErrTransport) {
			if errors.Is(err, s) {
				t.Errorf("Artifacts() error %v wraps %v, want none", err, s)
			}
		}
	})
	t.Run("first sentinel wins", func(t *testing.T) {
		b := connect(t, &recorder{err: fmt.Errorf("%w: %w", sdk.ErrUnauthorized, sdk.ErrUnavailable)})
		_, err := b.Health(context.Background(), sdk.HealthRequest{})
		if !errors.Is(err, sdk.ErrUnauthorized) {
			t.Errorf("Health() error = %v, want one wrapping %v", err, sdk.ErrUnauthorized)
		}
	})
}

// onlyRequired implements Info and Resolve and nothing else.
type onlyRequired struct{}

func (onlyRequired) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: "min"}, nil }
func (onlyRequired) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{}, nil
}

// legacyRequired is onlyRequired written the older way: it embeds
// sdk.Unimplemented and lists nothing.
type legacyRequired struct {
	sdk.Unimplemented //nolint:staticcheck // the deprecated way, on purpose
}

func (legacyRequired) Info(context.Context) (sdk.Info, error) { return sdk.Info{Name: "min"}, nil }
func (legacyRequired) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{}, nil
}

func TestAdapterUnimplemented(t *testing.T) {
	for name, backend := range map[string]sdk.Backend{"optional interfaces": onlyRequired{}, "legacy": legacyRequired{}} {
		t.Run(name, func(t *testing.T) { testUnimplemented(t, connect(t, backend)) })
	}
}

func testUnimplemented(t *testing.T, b host.Remote) {
	ctx := context.Background()
	if info, err := b.Info(ctx); err != nil || len(info.Implements) != 0 {
		t.Errorf("Info() = %+v, %v, want no optional calls implemented", info, err)
	}
	calls := map[string]func() error{
		sdk.CallHealth: func() error { _, err := b.Health(ctx, sdk.HealthRequest{}); return err },
		sdk.CallListModels: func() error {
			_, err := b.ListModels(ctx, sdk.ListModelsRequest{})
			return err
		},
		sdk.CallProbeVision: func() error { _, err := b.ProbeVision(ctx, sdk.ProbeRequest{}); return err },
		sdk.CallArtifacts:   func() error { _, err := b.Artifacts(ctx, sdk.ArtifactsRequest{}); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, sdk.ErrNotImplemented) {
			t.Errorf("%s() error = %v, want one wrapping sdk.ErrNotImplemented", name, err)
		}
	}
}

func TestAdapterPanic(t *testing.T) {
	rec := &recorder{panicMsg: "boom"}
	b := connect(t, rec)
	_, err := b.Resolve(context.Background(), sdk.ResolveRequest{})
	if err == nil || errors.Is(err, host.ErrTransport) {
		t.Fatalf("Resolve() error = %v, want a plugin error", err)
	}
	if !errors.Is(err, host.ErrPanicked) {
		t.Errorf("Resolve() error = %v, want one wrapping host.ErrPanicked", err)
	}
	rec.panicMsg = ""
	if _, err := b.Resolve(context.Background(), sdk.ResolveRequest{}); err != nil {
		t.Errorf("Resolve() after a panic error = %v, want nil (the plugin survives)", err)
	}
	rec.err = errors.New("plain failure")
	if _, err := b.Resolve(context.Background(), sdk.ResolveRequest{}); errors.Is(err, host.ErrPanicked) {
		t.Errorf("Resolve() returning an error = %v, wraps host.ErrPanicked, want not", err)
	}
}

func TestAdapterCancellation(t *testing.T) {
	rec := &recorder{block: true, seen: make(chan error, 1)}
	b := connect(t, rec)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := b.ProbeVision(ctx, sdk.ProbeRequest{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ProbeVision() error = %v, want one wrapping context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("ProbeVision() returned after %v, want promptly after cancel", d)
	}
	select {
	case got := <-rec.seen:
		if !errors.Is(got, context.Canceled) {
			t.Errorf("backend's context ended with %v, want context.Canceled", got)
		}
	case <-time.After(5 * time.Second):
		t.Error("backend's context was not cancelled")
	}
}

func TestAdapterDeadline(t *testing.T) {
	rec := &recorder{block: true, deadline: make(chan bool, 1)}
	b := connect(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := b.Health(ctx, sdk.HealthRequest{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Health() error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if !<-rec.deadline {
		t.Error("backend's context had no deadline, want the host's")
	}
}

func TestAdapterTransport(t *testing.T) {
	client, server := plugin.TestPluginGRPCConn(t, false, sdk.PluginSetsOf(&recorder{})[sdk.ProtocolVersion])
	defer client.Close()
	b, err := host.DispenseRemote(client)
	if err != nil {
		t.Fatalf("host.DispenseRemote() error = %v", err)
	}
	server.Stop()
	_, err = b.Info(context.Background())
	if !errors.Is(err, host.ErrTransport) {
		t.Errorf("Info() after the plugin stopped: error = %v, want one wrapping host.ErrTransport", err)
	}
}
