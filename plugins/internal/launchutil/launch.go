package launchutil

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// ModelPath is what a server runs for an entry: backend_config.model_path,
// else download_path. An entry with neither fails with an error wrapping
// sdk.ErrBadRequest.
func ModelPath(backend string, e sdk.Entry) (string, error) {
	if p := strings.TrimSpace(e.Config.ModelPath); p != "" {
		return p, nil
	}
	if p := strings.TrimSpace(e.LookupString("download_path")); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("%s: entry %q has no backend_config.model_path or download_path to serve: %w", backend, e.Name, sdk.ErrBadRequest)
}

// Number returns the number at backend_config.KEY as the server takes it,
// or "" when the key is missing. A value that is not a number (or a string
// holding one) fails with an error wrapping sdk.ErrBadRequest.
func Number(e sdk.Entry, key string) (string, error) {
	v, ok := e.Lookup("backend_config", key)
	if !ok {
		return "", nil
	}
	var n json.Number
	if err := json.Unmarshal(v, &n); err == nil {
		return n.String(), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return strings.TrimSpace(s), nil
		}
	}
	return "", fmt.Errorf("entry %q: backend_config.%s must be a number, not %s: %w", e.Name, key, v, sdk.ErrBadRequest)
}

// Launch describes a server command for ServerCommand.
type Launch struct {
	// Backend names the backend in errors.
	Backend string
	// Program is the default of backend_config.executable.
	Program string
	// Args returns the arguments after the program for the model path and
	// served id.
	Args func(path, id string) []string
	// Owned are the flags the host sets, refused in extra_args.
	Owned []string
	// Defaults are passed unless extra_args gives the same flag.
	Defaults []sdk.Flag
	// Ready is the readiness check.
	Ready sdk.ReadyCheck
}

// ServerCommand builds the command that serves e: backend_config.executable
// (else l.Program), l.Args, the defaults and extra_args (see
// sdk.ServerArgs). Errors wrap sdk.ErrBadRequest.
func ServerCommand(e sdk.Entry, l Launch) (sdk.ServerCommand, error) {
	path, err := ModelPath(l.Backend, e)
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	exe, err := e.Command("executable", l.Program)
	if err != nil {
		return sdk.ServerCommand{}, err
	}
	id := openai.ModelID(e)
	base := append(append([]string(nil), exe...), l.Args(path, id)...)
	argv, warnings, err := sdk.ServerArgs(base, l.Owned, l.Defaults, e.Config.ExtraArgs)
	if err != nil {
		return sdk.ServerCommand{}, fmt.Errorf("%s: entry %q: %w", l.Backend, e.Name, err)
	}
	return sdk.ServerCommand{Argv: argv, Ready: l.Ready, ServedModelID: id, Warnings: warnings}, nil
}

// ChatTemplate is the --chat-template default of an entry that names a
// template file (chat_template.path), else none.
func ChatTemplate(e sdk.Entry) []sdk.Flag {
	if tpl := e.LookupString("chat_template", "path"); tpl != "" {
		return []sdk.Flag{{Name: "--chat-template", Value: tpl}}
	}
	return nil
}
