package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// grpcServer serves a Backend as the protocol's gRPC service. It is the
// plugin-side adapter; the host-side one lives in sdk/host.
type grpcServer struct {
	pb.UnimplementedBackendServer
	impl Backend
	log  hclog.Logger
}

func newGRPCServer(b Backend, log hclog.Logger) *grpcServer {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &grpcServer{impl: b, log: log}
}

func (s *grpcServer) Info(ctx context.Context, _ *pb.InfoRequest) (resp *pb.InfoResponse, err error) {
	defer s.guard("Info", &err)
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	info.Implements = Implemented(s.impl, info)
	return infoToPB(info), nil
}

func (s *grpcServer) Resolve(ctx context.Context, req *pb.ResolveRequest) (resp *pb.ResolveResponse, err error) {
	defer s.guard("Resolve", &err)
	res, err := s.impl.Resolve(ctx, ResolveRequest{
		Entry:  entryFromPB(req.GetEntry()),
		Live:   req.GetLive(),
		APIKey: Secret(req.GetApiKey()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ResolveResponse{
		Endpoint:        res.Endpoint,
		InternalModelId: res.InternalModelID,
		Notes:           res.Notes,
		Live:            healthToPB(res.Live),
	}, nil
}

func (s *grpcServer) Health(ctx context.Context, req *pb.HealthRequest) (resp *pb.HealthStatus, err error) {
	defer s.guard("Health", &err)
	impl, ok := s.impl.(HealthChecker)
	if !ok {
		return nil, toStatus(notImplemented(CallHealth))
	}
	h, err := impl.Health(ctx, HealthRequest{
		Endpoint: req.GetEndpoint(),
		Models:   req.GetModels(),
		APIKey:   Secret(req.GetApiKey()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return healthToPB(&h), nil
}

func (s *grpcServer) ListModels(ctx context.Context, req *pb.ListModelsRequest) (resp *pb.ListModelsResponse, err error) {
	defer s.guard("ListModels", &err)
	impl, ok := s.impl.(ModelLister)
	if !ok {
		return nil, toStatus(notImplemented(CallListModels))
	}
	models, err := impl.ListModels(ctx, ListModelsRequest{
		Endpoint: req.GetEndpoint(),
		APIKey:   Secret(req.GetApiKey()),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ListModelsResponse{Models: servedModelsToPB(models)}, nil
}

func (s *grpcServer) ProbeVision(ctx context.Context, req *pb.ProbeRequest) (resp *pb.ProbeResult, err error) {
	defer s.guard("ProbeVision", &err)
	impl, ok := s.impl.(VisionProber)
	if !ok {
		return nil, toStatus(notImplemented(CallProbeVision))
	}
	r, err := impl.ProbeVision(ctx, probeRequestFromPB(req))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.ProbeResult{
		VisionOk:     r.VisionOK,
		LatencyMs:    r.LatencyMS,
		Notes:        r.Notes,
		Model:        r.Model,
		Excerpt:      r.Excerpt,
		StatusCode:   int32(r.StatusCode),
		ProbeVersion: r.ProbeVersion,
	}, nil
}

func (s *grpcServer) Artifacts(ctx context.Context, req *pb.ArtifactsRequest) (resp *pb.ArtifactSet, err error) {
	defer s.guard("Artifacts", &err)
	impl, ok := s.impl.(ArtifactLister)
	if !ok {
		return nil, toStatus(notImplemented(CallArtifacts))
	}
	set, err := impl.Artifacts(ctx, ArtifactsRequest{Entry: entryFromPB(req.GetEntry())})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ArtifactSet{Root: set.Root}
	for _, f := range set.Files {
		out.Files = append(out.Files, &pb.ArtifactFile{Path: f.Path, Sha256: f.SHA256})
	}
	return out, nil
}

// guard turns a panic in the backend into a failed call, so that one bad
// request does not take the plugin down with every other call in flight.
func (s *grpcServer) guard(call string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("backend panicked", "call", call, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = wire.PanicStatus(fmt.Sprintf("%s: backend panicked: %v", call, r)).Err()
	}
}

// toStatus returns the gRPC status error for a backend's error: its code and
// ErrorDetail name the sentinel it wraps, its message is err's.
func toStatus(err error) error {
	return wire.Status(errorKind(err), err.Error()).Err()
}

// errorKind returns the kind of the first sentinel err wraps, in the order
// of the sentinels' declaration, then the context errors.
func errorKind(err error) pb.ErrorKind {
	switch {
	case errors.Is(err, ErrNotImplemented):
		return pb.ErrorKind_ERROR_KIND_NOT_IMPLEMENTED
	case errors.Is(err, ErrModelNotFound):
		return pb.ErrorKind_ERROR_KIND_MODEL_NOT_FOUND
	case errors.Is(err, ErrUnauthorized):
		return pb.ErrorKind_ERROR_KIND_UNAUTHORIZED
	case errors.Is(err, ErrUnavailable):
		return pb.ErrorKind_ERROR_KIND_UNAVAILABLE
	case errors.Is(err, ErrBadRequest):
		return pb.ErrorKind_ERROR_KIND_BAD_REQUEST
	case errors.Is(err, ErrBadResponse):
		return pb.ErrorKind_ERROR_KIND_BAD_RESPONSE
	case errors.Is(err, context.DeadlineExceeded):
		return pb.ErrorKind_ERROR_KIND_DEADLINE_EXCEEDED
	case errors.Is(err, context.Canceled):
		return pb.ErrorKind_ERROR_KIND_CANCELED
	default:
		return pb.ErrorKind_ERROR_KIND_UNSPECIFIED
	}
}
