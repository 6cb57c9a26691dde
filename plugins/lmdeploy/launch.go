package lmdeploy

import (
	"context"
	"strconv"

	"github.com/imageworks-ai/loader/plugins/internal/launchutil"
	"github.com/imageworks-ai/loader/sdk"
)

var _ sdk.ServerRunner = (*Backend)(nil)

// ServerCommand runs `lmdeploy serve api_server MODEL_PATH --server-name H
// --server-port P --model-name ID`, then --backend (backend_config.engine,
// "turbomind" or "pytorch") and --tp (backend_config.tp) when set, then
// --chat-template (the entry's chat_template.path) when set, then
// backend_config.extra_args: a flag given there drops the default of the
// same name. MODEL_PATH is backend_config.model_path, else download_path.
// The program is backend_config.executable ("uv run lmdeploy", or a list),
// else lmdeploy. Ready when GET /v1/models answers 200 (/health appeared
// only in 0.14).
//
// Errors wrapping sdk.ErrBadRequest: no model path, a malformed value, or
// --server-name, --server-port or --model-name in extra_args (the host sets
// those).
func (b *Backend) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	e := req.Entry
	var defaults []sdk.Flag
	if engine := e.LookupString("backend_config", "engine"); engine != "" {
		defaults = append(defaults, sdk.Flag{Name: "--backend", Value: engine})
	}
	tp, err := launchutil.Number(e, "tp")
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	if tp != "" {
		defaults = append(defaults, sdk.Flag{Name: "--tp", Value: tp})
	}
	return launchutil.ServerCommand(e, launchutil.Launch{
		Backend: Name,
		Program: "lmdeploy",
		Args: func(path, id string) []string {
			return []string{"serve", "api_server", path, "--server-name", req.Host, "--server-port", strconv.Itoa(req.Port), "--model-name", id}
		},
		Owned:    []string{"--server-name", "--server-port", "--model-name"},
		Defaults: append(defaults, launchutil.ChatTemplate(e)...),
		Ready:    sdk.ReadyCheck{Path: "/v1/models", Status: 200},
	})
}
