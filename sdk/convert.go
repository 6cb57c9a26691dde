package sdk

import (
	"encoding/json"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// Conversions of the plugin side: requests from the wire, results to it.
// Their inverses live in sdk/host.

func entryFromPB(e *pb.Entry) Entry {
	if e == nil {
		return Entry{}
	}
	c := e.GetConfig()
	out := Entry{
		Name:          e.GetName(),
		DisplayName:   e.GetDisplayName(),
		Backend:       e.GetBackend(),
		ServedModelID: e.GetServedModelId(),
		Config: BackendConfig{
			Host:      c.GetHost(),
			Port:      int(c.GetPort()),
			BaseURL:   c.GetBaseUrl(),
			ModelPath: c.GetModelPath(),
			ExtraArgs: c.GetExtraArgs(),
			APIKeyEnv: c.GetApiKeyEnv(),
		},
	}
	if len(e.GetCapabilities()) > 0 {
		out.Capabilities = e.GetCapabilities()
	}
	if len(e.GetRawJson()) > 0 {
		out.Raw = json.RawMessage(e.GetRawJson())
	}
	return out
}

func infoToPB(info Info) *pb.InfoResponse {
	out := &pb.InfoResponse{
		Name:        info.Name,
		Version:     info.Version,
		DefaultPort: int32(info.DefaultPort),
		Implements:  info.Implements,
		Description: info.Description,
		Homepage:    info.Homepage,
	}
	protocols := info.Protocols
	if len(protocols) == 0 {
		protocols = []int{ProtocolVersion}
	}
	for _, p := range protocols {
		out.Protocols = append(out.Protocols, int32(p))
	}
	return out
}

func healthToPB(h *HealthStatus) *pb.HealthStatus {
	if h == nil {
		return nil
	}
	out := &pb.HealthStatus{
		Up:        h.Up,
		Version:   h.Version,
		Served:    h.Served,
		LatencyMs: h.LatencyMS,
		Notes:     h.Notes,
	}
	for _, m := range h.Models {
		out.Models = append(out.Models, &pb.ModelStatus{Id: m.ID, Served: m.Served})
	}
	return out
}

func servedModelsToPB(models []ServedModel) []*pb.ServedModel {
	var out []*pb.ServedModel
	for _, m := range models {
		out = append(out, &pb.ServedModel{
			Id:                m.ID,
			Aliases:           m.Aliases,
			Root:              m.Root,
			Parent:            m.Parent,
			Capabilities:      m.Capabilities,
			CapabilitiesKnown: m.Capabilities != nil,
			Family:            m.Family,
			Quantization:      m.Quantization,
			SizeBytes:         m.SizeBytes,
			ContextLength:     m.ContextLength,
			Digest:            m.Digest,
			ModelPath:         m.ModelPath,
		})
	}
	return out
}

func probeRequestFromPB(r *pb.ProbeRequest) ProbeRequest {
	out := ProbeRequest{
		Entry:    entryFromPB(r.GetEntry()),
		Endpoint: r.GetEndpoint(),
		ModelID:  r.GetModelId(),
		APIKey:   Secret(r.GetApiKey()),
		Image:    r.GetImage(),
		MIMEType: r.GetMimeType(),
		Prompt:   r.GetPrompt(),
		Expect:   r.GetExpect(),
	}
	if c := r.GetChallenge(); c != nil {
		out.Challenge = &Challenge{
			Image:    c.GetImage(),
			MIMEType: c.GetMimeType(),
			Prompt:   c.GetPrompt(),
			Expect:   c.GetExpect(),
		}
	}
	if d := r.GetTimeout(); d != nil {
		out.Timeout = d.AsDuration()
	}
	return out
}
