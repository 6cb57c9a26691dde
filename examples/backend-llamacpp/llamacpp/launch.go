package llamacpp

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

var _ sdk.ServerRunner = (*Backend)(nil)

// ServerCommand runs `llama-server -m MODEL.gguf --host H --port P --alias
// ID`, then --mmproj (backend_config.mmproj, a vision projector) when set,
// then backend_config.extra_args. The program is backend_config.executable
// (a string or a list), else llama-server. Ready when GET /health answers
// 200 (llama-server answers 503 while it loads the model).
//
// Errors wrapping sdk.ErrBadRequest: no backend_config.model_path, a
// malformed executable, or -m, --model, --host, --port or --alias in
// extra_args (the host sets those).
func (b *Backend) ServerCommand(_ context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	e := req.Entry
	path := strings.TrimSpace(e.Config.ModelPath)
	if path == "" {
		return sdk.ServerCommand{}, fmt.Errorf("llamacpp: entry %q has no backend_config.model_path: %w", e.Name, sdk.ErrBadRequest)
	}
	exe, err := e.Command("executable", "llama-server")
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	id := openai.ModelID(e)
	base := append(append([]string(nil), exe...), "-m", path,
		"--host", req.Host, "--port", strconv.Itoa(req.Port), "--alias", id)
	var defaults []sdk.Flag
	if proj := e.LookupString("backend_config", "mmproj"); proj != "" {
		defaults = append(defaults, sdk.Flag{Name: "--mmproj", Value: proj})
	}
	owned := []string{"-m", "--model", "--host", "--port", "--alias"}
	argv, warnings, err := sdk.ServerArgs(base, owned, defaults, e.Config.ExtraArgs)
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	return sdk.ServerCommand{
		Argv:          argv,
		Ready:         sdk.ReadyCheck{Path: "/health", Status: 200},
		ServedModelID: id,
		Warnings:      warnings,
	}, nil
}
