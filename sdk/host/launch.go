package host

import (
	"context"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// The host side of the lifecycle calls. A plugin that does not implement
// one answers an error wrapping sdk.ErrNotImplemented.
var (
	_ sdk.ServerRunner = (*grpcClient)(nil)
	_ sdk.ModelLoader  = (*grpcClient)(nil)
)

func (g *grpcClient) ServerCommand(ctx context.Context, req sdk.ServerCommandRequest) (sdk.ServerCommand, error) {
	var md replyMD
	r, err := g.c.ServerCommand(ctx, &pb.ServerCommandRequest{
		Entry: entryToPB(req.Entry),
		Host:  req.Host,
		Port:  int32(req.Port),
	}, md.opts()...)
	if err != nil {
		return sdk.ServerCommand{}, md.fromStatus(ctx, sdk.CallServerCommand, err)
	}
	return sdk.ServerCommand{
		Argv:          r.GetArgv(),
		Env:           r.GetEnv(),
		Dir:           r.GetDir(),
		Ready:         sdk.ReadyCheck{Path: r.GetReadyPath(), Status: int(r.GetReadyStatus())},
		ServedModelID: r.GetServedModelId(),
		Warnings:      r.GetWarnings(),
		Secrets:       secretsOf(r.GetSecrets()),
	}, nil
}

func (g *grpcClient) LoadModel(ctx context.Context, req sdk.LoadModelRequest) (sdk.LoadedModel, error) {
	var md replyMD
	r, err := g.c.LoadModel(ctx, loadModelRequestToPB(req), md.opts()...)
	if err != nil {
		return sdk.LoadedModel{}, md.fromStatus(ctx, "LoadModel", err)
	}
	return loadedModelFromPB(r), nil
}

func (g *grpcClient) UnloadModel(ctx context.Context, req sdk.LoadModelRequest) error {
	var md replyMD
	if _, err := g.c.UnloadModel(ctx, loadModelRequestToPB(req), md.opts()...); err != nil {
		return md.fromStatus(ctx, "UnloadModel", err)
	}
	return nil
}

func (g *grpcClient) LoadedModels(ctx context.Context, req sdk.LoadedModelsRequest) ([]sdk.LoadedModel, error) {
	var md replyMD
	r, err := g.c.LoadedModels(ctx, &pb.LoadedModelsRequest{Endpoint: req.Endpoint, ApiKey: req.APIKey.Reveal()}, md.opts()...)
	if err != nil {
		return nil, md.fromStatus(ctx, "LoadedModels", err)
	}
	var out []sdk.LoadedModel
	for _, m := range r.GetModels() {
		out = append(out, loadedModelFromPB(m))
	}
	return out, nil
}

// secretsOf types the credentials a plugin marked.
func secretsOf(values []string) []sdk.Secret {
	if len(values) == 0 {
		return nil
	}
	out := make([]sdk.Secret, len(values))
	for i, v := range values {
		out[i] = sdk.Secret(v)
	}
	return out
}

func loadModelRequestToPB(req sdk.LoadModelRequest) *pb.LoadModelRequest {
	return &pb.LoadModelRequest{Entry: entryToPB(req.Entry), Endpoint: req.Endpoint, ApiKey: req.APIKey.Reveal()}
}

func loadedModelFromPB(m *pb.LoadedModel) sdk.LoadedModel {
	out := sdk.LoadedModel{ID: m.GetId(), SizeBytes: m.GetSizeBytes(), VRAMBytes: m.GetVramBytes()}
	if t := m.GetExpiresAt(); t != nil {
		out.ExpiresAt = t.AsTime()
	}
	return out
}
