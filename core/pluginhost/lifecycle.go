package pluginhost

import (
	"context"
	"fmt"

	"github.com/imageworks-ai/loader/sdk"
)

// The lifecycle calls of a plugin, with the same deadline and crash
// handling as the others. A plugin that lacks one answers an error wrapping
// sdk.ErrNotImplemented.
var (
	_ sdk.ServerRunner = (*pluginBackend)(nil)
	_ sdk.ModelLoader  = (*pluginBackend)(nil)
)

// ServerCommand implements sdk.ServerRunner.
func (b *pluginBackend) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	r, ok := b.inst.backend.(sdk.ServerRunner)
	if !ok {
		return sdk.ServerCommand{}, fmt.Errorf("%s: %w", sdk.CallServerCommand, sdk.ErrNotImplemented)
	}
	return call(ctx, b, sdk.CallServerCommand, b.h.callTimeout, func(ctx context.Context) (sdk.ServerCommand, error) {
		return r.ServerCommand(ctx, req)
	})
}

// loader returns the plugin's sdk.ModelLoader.
func (b *pluginBackend) loader(name string) (sdk.ModelLoader, error) {
	l, ok := b.inst.backend.(sdk.ModelLoader)
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, sdk.ErrNotImplemented)
	}
	return l, nil
}

// LoadModel implements sdk.ModelLoader. Loading a large model takes a
// while, so its deadline is the probe's.
func (b *pluginBackend) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	l, err := b.loader("LoadModel")
	if err != nil {
		return sdk.LoadedModel{}, err
	}
	return call(ctx, b, "LoadModel", probeDeadline(b.h.callTimeout, 0), func(ctx context.Context) (sdk.LoadedModel, error) {
		return l.LoadModel(ctx, req)
	})
}

// UnloadModel implements sdk.ModelLoader.
func (b *pluginBackend) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	l, err := b.loader("UnloadModel")
	if err != nil {
		return err
	}
	_, err = call(ctx, b, "UnloadModel", b.h.callTimeout, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, l.UnloadModel(ctx, req)
	})
	return err
}

// LoadedModels implements sdk.ModelLoader.
func (b *pluginBackend) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	l, err := b.loader("LoadedModels")
	if err != nil {
		return nil, err
	}
	return call(ctx, b, "LoadedModels", b.h.callTimeout, func(ctx context.Context) ([]sdk.LoadedModel, error) {
		return l.LoadedModels(ctx, req)
	})
}
