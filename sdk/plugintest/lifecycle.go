package plugintest

import (
	"context"

	"github.com/imageworks-ai/loader/sdk"
)

// The lifecycle calls of a watched backend, forwarded like the others.

func (w watched) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	v, err := w.b.ServerCommand(ctx, req)
	w.p.note(sdk.CallServerCommand, err)
	return v, err
}

func (w watched) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	v, err := w.b.LoadModel(ctx, req)
	w.p.note("LoadModel", err)
	return v, err
}

func (w watched) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	err := w.b.UnloadModel(ctx, req)
	w.p.note("UnloadModel", err)
	return err
}

func (w watched) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	v, err := w.b.LoadedModels(ctx, req)
	w.p.note("LoadedModels", err)
	return v, err
}
