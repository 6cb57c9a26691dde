package host

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// grpcClient is the host-side adapter: a Remote that calls a plugin.
type grpcClient struct {
	c pb.BackendClient
}

var _ Remote = (*grpcClient)(nil)

// replyMD collects the response metadata of one call, which tells a status
// the plugin sent from one the client made up (answered).
type replyMD struct {
	header, trailer metadata.MD
}

func (m *replyMD) opts() []grpc.CallOption {
	return []grpc.CallOption{grpc.Header(&m.header), grpc.Trailer(&m.trailer)}
}

// fromStatus is fromStatus for a call made with ctx that collected m.
func (m *replyMD) fromStatus(ctx context.Context, call string, err error) error {
	return fromStatus(call, err, m.answered(err), ctx.Err() != nil)
}

// answered reports whether the status of err came from the plugin. A
// status travels in the trailers, which hold at least the content type when
// no headers went before them (how a gRPC server sends a failed unary
// call). Headers alone prove less: a plugin killed after sending them leaves
// the client to make up UNAVAILABLE (the connection broke) or INTERNAL (it
// ended without trailers), which are no answer of the plugin's.
func (m *replyMD) answered(err error) bool {
	if len(m.trailer) > 0 {
		return true
	}
	if len(m.header) == 0 {
		return false
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.Internal:
		return false
	}
	return true
}

func (g *grpcClient) Info(ctx context.Context) (sdk.Info, error) {
	var md replyMD
	r, err := g.c.Info(ctx, &pb.InfoRequest{}, md.opts()...)
	if err != nil {
		return sdk.Info{}, md.fromStatus(ctx, "Info", err)
	}
	info := sdk.Info{
		Name:        r.GetName(),
		Version:     r.GetVersion(),
		DefaultPort: int(r.GetDefaultPort()),
		Implements:  r.GetImplements(),
		Description: r.GetDescription(),
		Homepage:    r.GetHomepage(),
	}
	for _, p := range r.GetProtocols() {
		info.Protocols = append(info.Protocols, int(p))
	}
	return info, nil
}

func (g *grpcClient) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	var md replyMD
	r, err := g.c.Resolve(ctx, &pb.ResolveRequest{
		Entry:  entryToPB(req.Entry),
		Live:   req.Live,
		ApiKey: req.APIKey.Reveal(),
	}, md.opts()...)
	if err != nil {
		return sdk.Resolution{}, md.fromStatus(ctx, "Resolve", err)
	}
	res := sdk.Resolution{
		Endpoint:        r.GetEndpoint(),
		InternalModelID: r.GetInternalModelId(),
		Notes:           r.GetNotes(),
	}
	if l := r.GetLive(); l != nil {
		h := healthFromPB(l)
		res.Live = &h
	}
	return res, nil
}

func (g *grpcClient) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	var md replyMD
	r, err := g.c.Health(ctx, &pb.HealthRequest{
		Endpoint: req.Endpoint,
		Models:   req.Models,
		ApiKey:   req.APIKey.Reveal(),
	}, md.opts()...)
	if err != nil {
		return sdk.HealthStatus{}, md.fromStatus(ctx, "Health", err)
	}
	return healthFromPB(r), nil
}

func (g *grpcClient) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	var md replyMD
	r, err := g.c.ListModels(ctx, &pb.ListModelsRequest{
		Endpoint: req.Endpoint,
		ApiKey:   req.APIKey.Reveal(),
	}, md.opts()...)
	if err != nil {
		return nil, md.fromStatus(ctx, "ListModels", err)
	}
	var out []sdk.ServedModel
	for _, m := range r.GetModels() {
		sm := sdk.ServedModel{
			ID:            m.GetId(),
			Aliases:       m.GetAliases(),
			Root:          m.GetRoot(),
			Parent:        m.GetParent(),
			Family:        m.GetFamily(),
			Quantization:  m.GetQuantization(),
			SizeBytes:     m.GetSizeBytes(),
			ContextLength: m.GetContextLength(),
			Digest:        m.GetDigest(),
			ModelPath:     m.GetModelPath(),
		}
		if m.GetCapabilitiesKnown() {
			sm.Capabilities = m.GetCapabilities()
			if sm.Capabilities == nil {
				sm.Capabilities = map[string]bool{}
			}
		}
		out = append(out, sm)
	}
	return out, nil
}

func (g *grpcClient) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	in := &pb.ProbeRequest{
		Entry:    entryToPB(req.Entry),
		Endpoint: req.Endpoint,
		ModelId:  req.ModelID,
		ApiKey:   req.APIKey.Reveal(),
		Image:    req.Image,
		MimeType: req.MIMEType,
		Prompt:   req.Prompt,
		Expect:   req.Expect,
	}
	if c := req.Challenge; c != nil {
		in.Challenge = &pb.Challenge{
			Image:    c.Image,
			MimeType: c.MIMEType,
			Prompt:   c.Prompt,
			Expect:   c.Expect,
		}
	}
	if req.Timeout != 0 {
		in.Timeout = durationpb.New(req.Timeout)
	}
	var md replyMD
	r, err := g.c.ProbeVision(ctx, in, md.opts()...)
	if err != nil {
		return sdk.ProbeResult{}, md.fromStatus(ctx, "ProbeVision", err)
	}
	return sdk.ProbeResult{
		VisionOK:     r.GetVisionOk(),
		LatencyMS:    r.GetLatencyMs(),
		Notes:        r.GetNotes(),
		Model:        r.GetModel(),
		Excerpt:      r.GetExcerpt(),
		StatusCode:   int(r.GetStatusCode()),
		ProbeVersion: r.GetProbeVersion(),
	}, nil
}

func (g *grpcClient) Artifacts(ctx context.Context, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	var md replyMD
	r, err := g.c.Artifacts(ctx, &pb.ArtifactsRequest{Entry: entryToPB(req.Entry)}, md.opts()...)
	if err != nil {
		return sdk.ArtifactSet{}, md.fromStatus(ctx, "Artifacts", err)
	}
	set := sdk.ArtifactSet{Root: r.GetRoot()}
	for _, f := range r.GetFiles() {
		set.Files = append(set.Files, sdk.ArtifactFile{Path: f.GetPath(), SHA256: f.GetSha256()})
	}
	return set, nil
}

func entryToPB(e sdk.Entry) *pb.Entry {
	return &pb.Entry{
		Name:          e.Name,
		DisplayName:   e.DisplayName,
		Backend:       e.Backend,
		ServedModelId: e.ServedModelID,
		Config: &pb.BackendConfig{
			Host:      e.Config.Host,
			Port:      int64(e.Config.Port),
			BaseUrl:   e.Config.BaseURL,
			ModelPath: e.Config.ModelPath,
			ExtraArgs: e.Config.ExtraArgs,
			ApiKeyEnv: e.Config.APIKeyEnv,
		},
		Capabilities: e.Capabilities,
		RawJson:      e.Raw,
	}
}

func healthFromPB(h *pb.HealthStatus) sdk.HealthStatus {
	out := sdk.HealthStatus{
		Up:        h.GetUp(),
		Version:   h.GetVersion(),
		Served:    h.GetServed(),
		LatencyMS: h.GetLatencyMs(),
		Notes:     h.GetNotes(),
	}
	for _, m := range h.GetModels() {
		out.Models = append(out.Models, sdk.ModelStatus{ID: m.GetId(), Served: m.GetServed()})
	}
	return out
}
