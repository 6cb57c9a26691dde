package vllm

import (
	"context"
	"strconv"

	"github.com/imageworks-ai/loader/plugins/internal/launchutil"
	"github.com/imageworks-ai/loader/sdk"
)

// DefaultGPUMemoryUtilization is the share of GPU memory a server run by
// the host claims unless the entry says otherwise, as in the Python tool.
const DefaultGPUMemoryUtilization = "0.75"

var _ sdk.ServerRunner = (*Backend)(nil)

// ServerCommand runs `vllm serve MODEL_PATH --host H --port P
// --served-model-name ID`, then the defaults --gpu-memory-utilization
// (backend_config.gpu_memory_utilization, else 0.75), --max-model-len
// (backend_config.max_model_len, when set) and --chat-template (the entry's
// chat_template.path, when set), then backend_config.extra_args: a flag
// given there drops the default of the same name. MODEL_PATH is
// backend_config.model_path, else download_path. The program is
// backend_config.executable ("uv run vllm", or a list), else vllm. Ready
// when GET /health answers 200.
//
// Errors wrapping sdk.ErrBadRequest: no model path, a malformed number or
// executable, or --host, --port, --served-model-name or --model in
// extra_args (the host sets those).
func (b *Backend) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	e := req.Entry
	gpu, err := launchutil.Number(e, "gpu_memory_utilization")
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	if gpu == "" {
		gpu = DefaultGPUMemoryUtilization
	}
	defaults := []sdk.Flag{{Name: "--gpu-memory-utilization", Value: gpu}}
	maxLen, err := launchutil.Number(e, "max_model_len")
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	if maxLen != "" {
		defaults = append(defaults, sdk.Flag{Name: "--max-model-len", Value: maxLen})
	}
	return launchutil.ServerCommand(e, launchutil.Launch{
		Backend: Name,
		Program: "vllm",
		Args: func(path, id string) []string {
			return []string{"serve", path, "--host", req.Host, "--port", strconv.Itoa(req.Port), "--served-model-name", id}
		},
		Owned:    []string{"--host", "--port", "--served-model-name", "--model"},
		Defaults: append(defaults, launchutil.ChatTemplate(e)...),
		Ready:    sdk.ReadyCheck{Path: "/health", Status: 200},
	})
}
