package lmdeploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/sdk"
)

func TestServerCommand(t *testing.T) {
	e := sdk.Entry{Name: "e", Backend: "lmdeploy", ServedModelID: "internvl",
		Raw:    json.RawMessage(`{"backend_config":{"model_path":"/m","engine":"turbomind","tp":2}}`),
		Config: sdk.BackendConfig{ModelPath: "/m", ExtraArgs: []string{"--tp", "4"}}}
	cmd, err := lmdeploy.New().ServerCommand(context.Background(), sdk.ServerCommandRequest{Entry: e, Host: "0.0.0.0", Port: 23334})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lmdeploy", "serve", "api_server", "/m", "--server-name", "0.0.0.0", "--server-port", "23334", "--model-name", "internvl", "--backend", "turbomind", "--tp", "4"}
	if !slices.Equal(cmd.Argv, want) {
		t.Errorf("ServerCommand().Argv = %q, want %q", cmd.Argv, want)
	}
	if len(cmd.Warnings) != 1 {
		t.Errorf("ServerCommand().Warnings = %q, want one about --tp", cmd.Warnings)
	}
	if cmd.Ready.Path != "/v1/models" {
		t.Errorf("ServerCommand().Ready = %+v, want /v1/models", cmd.Ready)
	}
	e.Config.ExtraArgs = []string{"--server-port", "1"}
	if _, err := lmdeploy.New().ServerCommand(context.Background(), sdk.ServerCommandRequest{Entry: e, Host: "h", Port: 1}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("ServerCommand(--server-port in extra_args) error = %v, want ErrBadRequest", err)
	}
}
