package sdk

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// The plugin side of the lifecycle calls: a backend that lacks the optional
// interface answers ErrNotImplemented.

func (s *grpcServer) ServerCommand(ctx context.Context, req *pb.ServerCommandRequest) (resp *pb.ServerCommandResponse, err error) {
	defer s.guard(CallServerCommand, &err)
	r, ok := s.impl.(ServerRunner)
	if !ok {
		return nil, toStatus(notImplemented(CallServerCommand))
	}
	cmd, err := r.ServerCommand(ctx, ServerCommandRequest{
		Entry: entryFromPB(req.GetEntry()),
		Host:  req.GetHost(),
		Port:  int(req.GetPort()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ServerCommandResponse{
		Argv:          cmd.Argv,
		Env:           cmd.Env,
		Dir:           cmd.Dir,
		ReadyPath:     cmd.Ready.Path,
		ReadyStatus:   int32(cmd.Ready.Status),
		ServedModelId: cmd.ServedModelID,
		Warnings:      cmd.Warnings,
		Secrets:       revealAll(cmd.Secrets),
	}, nil
}

func (s *grpcServer) LoadModel(ctx context.Context, req *pb.LoadModelRequest) (resp *pb.LoadedModel, err error) {
	defer s.guard("LoadModel", &err)
	l, ok := s.impl.(ModelLoader)
	if !ok {
		return nil, toStatus(notImplemented(CallModelLoading))
	}
	m, err := l.LoadModel(ctx, loadModelRequestFromPB(req))
	if err != nil {
		return nil, toStatus(err)
	}
	return loadedModelToPB(m), nil
}

func (s *grpcServer) UnloadModel(ctx context.Context, req *pb.LoadModelRequest) (resp *pb.UnloadModelResponse, err error) {
	defer s.guard("UnloadModel", &err)
	l, ok := s.impl.(ModelLoader)
	if !ok {
		return nil, toStatus(notImplemented(CallModelLoading))
	}
	if err := l.UnloadModel(ctx, loadModelRequestFromPB(req)); err != nil {
		return nil, toStatus(err)
	}
	return &pb.UnloadModelResponse{}, nil
}

func (s *grpcServer) LoadedModels(ctx context.Context, req *pb.LoadedModelsRequest) (resp *pb.LoadedModelsResponse, err error) {
	defer s.guard("LoadedModels", &err)
	l, ok := s.impl.(ModelLoader)
	if !ok {
		return nil, toStatus(notImplemented(CallModelLoading))
	}
	models, err := l.LoadedModels(ctx, LoadedModelsRequest{Endpoint: req.GetEndpoint(), APIKey: Secret(req.GetApiKey())})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.LoadedModelsResponse{}
	for _, m := range models {
		out.Models = append(out.Models, loadedModelToPB(m))
	}
	return out, nil
}

// revealAll returns the secrets' values, for the one message that carries
// them to the host.
func revealAll(secrets []Secret) []string {
	if len(secrets) == 0 {
		return nil
	}
	out := make([]string, len(secrets))
	for i, s := range secrets {
		out[i] = s.Reveal()
	}
	return out
}

func loadModelRequestFromPB(r *pb.LoadModelRequest) LoadModelRequest {
	return LoadModelRequest{Entry: entryFromPB(r.GetEntry()), Endpoint: r.GetEndpoint(), APIKey: Secret(r.GetApiKey())}
}

func loadedModelToPB(m LoadedModel) *pb.LoadedModel {
	out := &pb.LoadedModel{Id: m.ID, SizeBytes: m.SizeBytes, VramBytes: m.VRAMBytes}
	if !m.ExpiresAt.IsZero() {
		out.ExpiresAt = timestamppb.New(m.ExpiresAt)
	}
	return out
}
