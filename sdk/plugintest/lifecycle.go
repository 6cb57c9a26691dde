package plugintest

import (
	"context"
	"fmt"

	"github.com/imageworks-ai/loader/sdk"
)

// callLifecycle makes the lifecycle call named call (sdk.CallServerCommand
// or sdk.CallModelLoading) for entry, pointed at endpoint, and reports
// whether call was one of them. A backend without the interface answers
// as one that does not implement it.
func callLifecycle(ctx context.Context, b sdk.Backend, call string, entry sdk.Entry, endpoint string) (error, bool) {
	switch call {
	case sdk.CallServerCommand:
		r, ok := b.(sdk.ServerRunner)
		if !ok {
			return fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented), true
		}
		entry.Config.ModelPath = "/models/conformance-model"
		cmd, err := r.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry, Host: "127.0.0.1", Port: 24001})
		if err == nil && (len(cmd.Argv) == 0 || cmd.Ready.Path == "") {
			err = fmt.Errorf("ServerCommand() = argv %q, ready path %q, want a command and a readiness path", cmd.Argv, cmd.Ready.Path)
		}
		return err, true
	case sdk.CallModelLoading:
		l, ok := b.(sdk.ModelLoader)
		if !ok {
			return fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented), true
		}
		_, err := l.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: endpoint, APIKey: conformanceKey})
		return err, true
	}
	return nil, false
}

// The lifecycle calls of a watched backend: forwarded when the backend has
// them, else answered as not implemented.

func (w watched) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	r, ok := w.b.(sdk.ServerRunner)
	if !ok {
		return sdk.ServerCommand{}, fmt.Errorf("%s: %w", sdk.CallServerCommand, sdk.ErrNotImplemented)
	}
	v, err := r.ServerCommand(ctx, req)
	w.p.note(sdk.CallServerCommand, err)
	return v, err
}

func (w watched) loader() (sdk.ModelLoader, error) {
	l, ok := w.b.(sdk.ModelLoader)
	if !ok {
		return nil, fmt.Errorf("%s: %w", sdk.CallModelLoading, sdk.ErrNotImplemented)
	}
	return l, nil
}

func (w watched) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	l, err := w.loader()
	if err != nil {
		return sdk.LoadedModel{}, err
	}
	v, err := l.LoadModel(ctx, req)
	w.p.note("LoadModel", err)
	return v, err
}

func (w watched) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	l, err := w.loader()
	if err != nil {
		return err
	}
	err = l.UnloadModel(ctx, req)
	w.p.note("UnloadModel", err)
	return err
}

func (w watched) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	l, err := w.loader()
	if err != nil {
		return nil, err
	}
	v, err := l.LoadedModels(ctx, req)
	w.p.note("LoadedModels", err)
	return v, err
}
