package plugintest

import (
	"context"

	"github.com/imageworks-ai/loader/sdk"
)

// The lifecycle calls of a watched backend, forwarded like the others.

func (w watched) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	return watchCall(ctx, w, sdk.CallServerCommand, func(ctx context.Context) (sdk.ServerCommand, error) { return w.b.ServerCommand(ctx, req) })
}

func (w watched) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	return watchCall(ctx, w, "LoadModel", func(ctx context.Context) (sdk.LoadedModel, error) { return w.b.LoadModel(ctx, req) })
}

func (w watched) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	_, err := watchCall(ctx, w, "UnloadModel", func(ctx context.Context) (struct{}, error) { return struct{}{}, w.b.UnloadModel(ctx, req) })
	return err
}

func (w watched) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return watchCall(ctx, w, "LoadedModels", func(ctx context.Context) ([]sdk.LoadedModel, error) { return w.b.LoadedModels(ctx, req) })
}
