package llamacpp_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"example.com/imageworks-backend-llamacpp/llamacpp"
	"github.com/imageworks-ai/loader/sdk"
)

func TestServerCommand(t *testing.T) {
	e := sdk.Entry{Name: "qwen", Backend: "llamacpp",
		Raw:    json.RawMessage(`{"backend_config":{"model_path":"/m/q.gguf","mmproj":"/m/proj.gguf","executable":["/opt/llama/llama-server"]}}`),
		Config: sdk.BackendConfig{ModelPath: "/m/q.gguf", ExtraArgs: []string{"-c", "8192"}}}
	cmd, err := llamacpp.New().ServerCommand(context.Background(), sdk.ServerCommandRequest{Entry: e, Host: "127.0.0.1", Port: 24001})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/opt/llama/llama-server", "-m", "/m/q.gguf", "--host", "127.0.0.1", "--port", "24001", "--alias", "qwen", "--mmproj", "/m/proj.gguf", "-c", "8192"}
	if !slices.Equal(cmd.Argv, want) || cmd.Ready.Path != "/health" {
		t.Errorf("ServerCommand() = %q ready %+v, want %q, /health", cmd.Argv, cmd.Ready, want)
	}
	e.Config.ExtraArgs = []string{"--alias", "x"}
	if _, err := llamacpp.New().ServerCommand(context.Background(), sdk.ServerCommandRequest{Entry: e, Host: "h", Port: 1}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("ServerCommand(--alias in extra_args) error = %v, want ErrBadRequest", err)
	}
}
