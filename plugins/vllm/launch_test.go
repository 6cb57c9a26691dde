package vllm_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

func TestServerCommand(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		extra   []string
		want    []string
		wantErr bool
	}{
		{"defaults", `{"backend_config":{"model_path":"/m"}}`, nil,
			[]string{"vllm", "serve", "/m", "--host", "127.0.0.1", "--port", "24001", "--served-model-name", "e", "--gpu-memory-utilization", "0.75"}, false},
		{"configured", `{"chat_template":{"path":"/t.jinja"},"backend_config":{"model_path":"/m","executable":"uv run vllm","gpu_memory_utilization":0.6,"max_model_len":"8192"}}`, []string{"--max-model-len", "4096"},
			[]string{"uv", "run", "vllm", "serve", "/m", "--host", "127.0.0.1", "--port", "24001", "--served-model-name", "e", "--gpu-memory-utilization", "0.6", "--chat-template", "/t.jinja", "--max-model-len", "4096"}, false},
		{"download_path", `{"download_path":"/d","backend_config":{}}`, nil,
			[]string{"vllm", "serve", "/d", "--host", "127.0.0.1", "--port", "24001", "--served-model-name", "e", "--gpu-memory-utilization", "0.75"}, false},
		{"no model path", `{"backend_config":{}}`, nil, nil, true},
		{"bad number", `{"backend_config":{"model_path":"/m","max_model_len":"lots"}}`, nil, nil, true},
		{"port in extra_args", `{"backend_config":{"model_path":"/m"}}`, []string{"--port", "1"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sdk.Entry{Name: "e", Backend: "vllm", Raw: json.RawMessage(tt.raw)}
			var bc struct {
				BC struct {
					ModelPath string `json:"model_path"`
				} `json:"backend_config"`
			}
			_ = json.Unmarshal(e.Raw, &bc)
			e.Config = sdk.BackendConfig{ModelPath: bc.BC.ModelPath, ExtraArgs: tt.extra}
			cmd, err := vllm.New().ServerCommand(context.Background(), sdk.ServerCommandRequest{Entry: e, Host: "127.0.0.1", Port: 24001})
			if tt.wantErr {
				if !errors.Is(err, sdk.ErrBadRequest) {
					t.Fatalf("ServerCommand() error = %v, want one wrapping ErrBadRequest", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cmd.Argv, tt.want) {
				t.Errorf("ServerCommand().Argv = %q, want %q", cmd.Argv, tt.want)
			}
			if cmd.Ready != (sdk.ReadyCheck{Path: "/health", Status: 200}) || cmd.ServedModelID != "e" {
				t.Errorf("ServerCommand() ready %+v, id %q, want /health 200, e", cmd.Ready, cmd.ServedModelID)
			}
		})
	}
}
