// Package sdk is everything a backend plugin author needs: the Backend
// interface, its request and result types, typed errors, and Serve, which is a
// plugin's whole main:
//
//	func main() { os.Exit(sdk.Serve(mybackend.New())) }
//
// The transport (hashicorp/go-plugin over gRPC) and the generated protocol
// types are hidden behind this package; nothing in its API names them.
package sdk

import "context"

// Backend is one kind of model server (vLLM, Ollama, LMDeploy, or a third
// party's). Every method takes a context first and must return promptly when
// it is cancelled.
//
// Info and Resolve are required. The other methods are optional: a backend
// that does not implement one returns an error wrapping ErrNotImplemented
// (embedding Unimplemented does that) and leaves the call's name out of
// Info.Implements.
type Backend interface {
	// Info describes the backend. Its Name must equal the NAME in the
	// plugin's executable name imageworks-backend-NAME.
	Info(ctx context.Context) (Info, error)
	// Resolve tells a client how to reach the entry's model. Without a live
	// check it must not touch the network.
	Resolve(ctx context.Context, req ResolveRequest) (Resolution, error)
	// Health reports whether the server at req.Endpoint is up and which of
	// req.Models it serves.
	Health(ctx context.Context, req HealthRequest) (HealthStatus, error)
	// ListModels lists what a running server serves, for import.
	ListModels(ctx context.Context, req ListModelsRequest) ([]ServedModel, error)
	// ProbeVision asks the served model about an image and reports whether
	// it really sees.
	ProbeVision(ctx context.Context, req ProbeRequest) (ProbeResult, error)
	// Artifacts lists the local files behind an entry (for example Ollama
	// blobs) so the host can hash and lock them.
	Artifacts(ctx context.Context, req ArtifactsRequest) (ArtifactSet, error)
}

// Names of the optional calls, as listed in Info.Implements.
const (
	CallHealth      = "Health"
	CallListModels  = "ListModels"
	CallProbeVision = "ProbeVision"
	CallArtifacts   = "Artifacts"
)

// ProtocolVersion is the newest plugin protocol this SDK speaks. Protocol
// versions start at 1 and only grow.
const ProtocolVersion = 1

// Unimplemented answers every optional call with an error wrapping
// ErrNotImplemented. Embed it in a backend that implements only some calls.
type Unimplemented struct{}

// Health returns an error wrapping ErrNotImplemented.
func (Unimplemented) Health(context.Context, HealthRequest) (HealthStatus, error) {
	return HealthStatus{}, notImplemented(CallHealth)
}

// ListModels returns an error wrapping ErrNotImplemented.
func (Unimplemented) ListModels(context.Context, ListModelsRequest) ([]ServedModel, error) {
	return nil, notImplemented(CallListModels)
}

// ProbeVision returns an error wrapping ErrNotImplemented.
func (Unimplemented) ProbeVision(context.Context, ProbeRequest) (ProbeResult, error) {
	return ProbeResult{}, notImplemented(CallProbeVision)
}

// Artifacts returns an error wrapping ErrNotImplemented.
func (Unimplemented) Artifacts(context.Context, ArtifactsRequest) (ArtifactSet, error) {
	return ArtifactSet{}, notImplemented(CallArtifacts)
}
