package pluginhost

import (
	"context"

	"github.com/imageworks-ai/loader/sdk"
)

// The lifecycle calls of a plugin, with the same deadline, crash handling
// and scrubbing as the others. A plugin that lacks one answers an error
// wrapping sdk.ErrNotImplemented (sdk/host maps the plugin's UNIMPLEMENTED).
var (
	_ sdk.ServerRunner = (*pluginBackend)(nil)
	_ sdk.ModelLoader  = (*pluginBackend)(nil)
)

// ServerCommand implements sdk.ServerRunner. The command may need the
// entry's credentials, so only the error is scrubbed: of the base URL's
// and of the secret flags' values in extra_args (sdk.SecretArgs).
func (b *pluginBackend) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	secrets := append(callSecrets("", req.Entry.Config.BaseURL), sdk.SecretArgs(req.Entry.Config.ExtraArgs)...)
	return call(ctx, b, sdk.CallServerCommand, b.h.callTimeout, secrets, keepAnswer,
		func(ctx context.Context) (sdk.ServerCommand, error) { return b.inst.backend.ServerCommand(ctx, req) })
}

// loadSecrets are what a load request carries that no answer may show.
func loadSecrets(req sdk.LoadModelRequest) []sdk.Secret {
	return callSecrets(req.APIKey, req.Endpoint, req.Entry.Config.BaseURL)
}

// LoadModel implements sdk.ModelLoader. Loading a large model takes a
// while, so its deadline is the probe's.
func (b *pluginBackend) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	return call(ctx, b, "LoadModel", probeDeadline(b.h.callTimeout, 0), loadSecrets(req), scrubAnswer,
		func(ctx context.Context) (sdk.LoadedModel, error) { return b.inst.backend.LoadModel(ctx, req) })
}

// UnloadModel implements sdk.ModelLoader.
func (b *pluginBackend) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	_, err := call(ctx, b, "UnloadModel", b.h.callTimeout, loadSecrets(req), keepAnswer,
		func(ctx context.Context) (struct{}, error) { return struct{}{}, b.inst.backend.UnloadModel(ctx, req) })
	return err
}

// LoadedModels implements sdk.ModelLoader.
func (b *pluginBackend) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	return call(ctx, b, "LoadedModels", b.h.callTimeout, callSecrets(req.APIKey, req.Endpoint), scrubAnswer,
		func(ctx context.Context) ([]sdk.LoadedModel, error) { return b.inst.backend.LoadedModels(ctx, req) })
}
