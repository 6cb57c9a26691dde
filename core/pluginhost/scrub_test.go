package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

func TestScrubbed(t *testing.T) {
	const key, qkey = "sk-live-KEY", "Q-KEY"
	secrets := callSecrets(key, "http://h/v1?api-key="+qkey)
	hs := sdk.HealthStatus{
		Up: true, Version: "echo " + key,
		Notes:  []string{"server said: Authorization: Bearer " + key, "query was api-key=" + qkey},
		Models: []sdk.ModelStatus{{ID: "m-" + key}},
	}
	cause := fmt.Errorf("vllm: health: 401 Bearer %s at http://u:pw@h/v1?api-key=%s: %w", key, qkey, sdk.ErrUnauthorized)
	got, err := scrubbed(secrets, hs, cause)
	all := fmt.Sprintf("%+v %v", got, err)
	for _, s := range []string{key, qkey, ":pw@"} {
		if strings.Contains(all, s) {
			t.Errorf("scrubbed() = %s, still shows %q", all, s)
		}
	}
	if !errors.Is(err, sdk.ErrUnauthorized) || !errors.Is(err, cause) {
		t.Errorf("scrubbed() error = %v, want it to still wrap the cause", err)
	}
	if !got.Up || got.Notes[0] != "server said: Authorization: Bearer xxxxx" {
		t.Errorf("scrubbed() = %+v, want the rest kept", got)
	}
	models, _ := scrubbed(secrets, []sdk.ServedModel{{ID: key, Capabilities: map[string]bool{"vision": true}}}, nil)
	if models[0].ID != sdk.Masked || !models[0].Capabilities["vision"] {
		t.Errorf("scrubbed(models) = %+v", models)
	}
	res, _ := scrubbed(secrets, sdk.ProbeResult{Excerpt: "I see " + key, Notes: []string{"ok"}}, nil)
	if strings.Contains(res.Excerpt, key) {
		t.Errorf("scrubbed(probe) excerpt = %q", res.Excerpt)
	}
	if plain := errors.New("no secret"); func() error { _, e := scrubbed(secrets, 0, plain); return e }() != plain {
		t.Errorf("scrubbed() replaced an error with nothing to hide")
	}
}

// TestLifecycleCallsScrubbed: through the host, the lifecycle calls'
// answers and errors show neither the request's key nor its endpoint's
// password (scrubbing is part of every call, not of some); a server
// command keeps the credentials it was built from, since the server needs
// them.
func TestLifecycleCallsScrubbed(t *testing.T) {
	ctx := context.Background()
	h := newTestHost(t, nil, installPlugins(t, ExecutablePrefix+"echo"))
	b, err := h.Backend(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	r := b.(host.Remote)
	const key, pw = "sk-echo-key", "urlpw"
	endpoint := "http://u:" + pw + "@127.0.0.1:1/v1"
	leaks := func(s string) bool { return strings.Contains(s, key) || strings.Contains(s, pw) }

	load := sdk.LoadModelRequest{Endpoint: endpoint, APIKey: key}
	if _, err := r.LoadModel(ctx, load); err == nil || leaks(err.Error()) || !strings.Contains(err.Error(), "cannot load") {
		t.Errorf("LoadModel() error = %v, want the plugin's message without the key or password", err)
	}
	if err := r.UnloadModel(ctx, load); err == nil || leaks(err.Error()) || !strings.Contains(err.Error(), "cannot unload") {
		t.Errorf("UnloadModel() error = %v, want the plugin's message without the key or password", err)
	}
	models, err := r.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: endpoint, APIKey: key})
	if err != nil || len(models) != 1 || leaks(models[0].ID) || !strings.HasPrefix(models[0].ID, "model-from-") {
		t.Errorf("LoadedModels() = %+v, %v, want one model whose id shows no key or password", models, err)
	}
	cmd, err := r.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: sdk.Entry{Config: sdk.BackendConfig{BaseURL: endpoint}}})
	if err != nil || len(cmd.Argv) != 3 || cmd.Argv[2] != endpoint {
		t.Errorf("ServerCommand() = %+v, %v, want the argv as the plugin built it", cmd, err)
	}
	// A key in extra_args (--api-key KEY) that the plugin's error quotes.
	const argKey = "sk-extra-args-key"
	args := sdk.Entry{Config: sdk.BackendConfig{ExtraArgs: []string{"--api-key", argKey}}}
	if _, err := r.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: args}); err == nil || strings.Contains(err.Error(), argKey) || !strings.Contains(err.Error(), "--api-key") {
		t.Errorf("ServerCommand(extra_args --api-key) error = %v, want the plugin's message without the key", err)
	}
}
