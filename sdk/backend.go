// Package sdk is everything a backend plugin author needs: the Backend
// interface and its optional companions, their request and result types,
// typed errors, and Serve, which is a plugin's whole main:
//
//	func main() { os.Exit(sdk.Serve(mybackend.New())) }
//
// The transport (hashicorp/go-plugin over gRPC) and the generated protocol
// types are hidden behind this package; nothing in its API names them.
package sdk

import (
	"context"
	"slices"
)

// Backend is one kind of model server (vLLM, Ollama, LMDeploy, or a third
// party's). Info and Resolve are all it must implement; it answers the
// optional calls by also implementing HealthChecker, ModelLister,
// VisionProber or ArtifactLister, and Serve tells the host which of them it
// implements (see Implemented). Every method takes a context first and must
// return promptly when it is cancelled.
type Backend interface {
	// Info describes the backend. Its Name must equal the NAME in the
	// plugin's executable name imageworks-backend-NAME.
	Info(ctx context.Context) (Info, error)
	// Resolve tells a client how to reach the entry's model. Without a live
	// check it must not touch the network.
	Resolve(ctx context.Context, req ResolveRequest) (Resolution, error)
}

// HealthChecker is the optional call Health (CallHealth).
type HealthChecker interface {
	// Health reports whether the server at req.Endpoint is up and which of
	// req.Models it serves: one ModelStatus per requested id, in order. A
	// server that cannot be reached, or does not answer before ctx's
	// deadline, is Up false with a note, not an error. A cancelled ctx
	// found nothing: Health then returns an error wrapping
	// context.Canceled, never a status.
	Health(ctx context.Context, req HealthRequest) (HealthStatus, error)
}

// ModelLister is the optional call ListModels (CallListModels).
type ModelLister interface {
	// ListModels lists what a running server serves, for import.
	ListModels(ctx context.Context, req ListModelsRequest) ([]ServedModel, error)
}

// VisionProber is the optional call ProbeVision (CallProbeVision).
type VisionProber interface {
	// ProbeVision asks the served model about an image and reports whether
	// it really sees.
	ProbeVision(ctx context.Context, req ProbeRequest) (ProbeResult, error)
}

// ArtifactLister is the optional call Artifacts (CallArtifacts).
type ArtifactLister interface {
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

// Implemented returns the optional calls b answers, sorted: the names of
// the optional interfaces b implements. It is what Serve reports in
// Info.Implements, so a backend need not keep a list.
//
// A backend written for earlier versions of this package keeps its own
// list: when info.Implements is non-nil, or b embeds the deprecated
// Unimplemented (whose methods make every interface match), Implemented
// returns info.Implements unchanged.
func Implemented(b Backend, info Info) []string {
	if _, legacy := b.(unimplementedEmbedder); legacy || info.Implements != nil {
		return info.Implements
	}
	var calls []string
	if _, ok := b.(ArtifactLister); ok {
		calls = append(calls, CallArtifacts)
	}
	if _, ok := b.(HealthChecker); ok {
		calls = append(calls, CallHealth)
	}
	if _, ok := b.(ModelLister); ok {
		calls = append(calls, CallListModels)
	}
	if _, ok := b.(VisionProber); ok {
		calls = append(calls, CallProbeVision)
	}
	if _, ok := b.(ServerRunner); ok {
		calls = append(calls, CallServerCommand)
	}
	if _, ok := b.(ModelLoader); ok {
		calls = append(calls, CallModelLoading)
	}
	slices.Sort(calls)
	return calls
}

// unimplementedEmbedder matches a backend that embeds Unimplemented.
type unimplementedEmbedder interface{ embedsUnimplemented() }

// Unimplemented answers every optional call with an error wrapping
// ErrNotImplemented.
//
// Deprecated: implement only the optional interfaces (HealthChecker, ...)
// a backend answers and leave Info.Implements nil; Serve then reports them
// itself. A backend embedding Unimplemented must still list its calls in
// Info.Implements, as it did before.
type Unimplemented struct{}

func (Unimplemented) embedsUnimplemented() {}

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
