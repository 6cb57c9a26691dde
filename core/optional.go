package core

import (
	"context"
	"fmt"

	"github.com/imageworks-ai/loader/sdk"
)

// The optional calls, made on any backend: one that does not implement the
// call's interface fails with an error wrapping sdk.ErrNotImplemented that
// names the backend and the call, as a plugin lacking the call answers.

func callHealth(ctx context.Context, b sdk.Backend, name string, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	impl, err := optional[sdk.HealthChecker](b, name, sdk.CallHealth)
	if err != nil {
		return sdk.HealthStatus{}, err
	}
	return impl.Health(ctx, req)
}

func callListModels(ctx context.Context, b sdk.Backend, name string, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	impl, err := optional[sdk.ModelLister](b, name, sdk.CallListModels)
	if err != nil {
		return nil, err
	}
	return impl.ListModels(ctx, req)
}

func callArtifacts(ctx context.Context, b sdk.Backend, name string, req sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	impl, err := optional[sdk.ArtifactLister](b, name, sdk.CallArtifacts)
	if err != nil {
		return sdk.ArtifactSet{}, err
	}
	return impl.Artifacts(ctx, req)
}

// optional returns b as the optional call interface T, or the error for a
// backend that lacks it.
func optional[T any](b sdk.Backend, name, call string) (T, error) {
	impl, ok := b.(T)
	if !ok {
		return impl, fmt.Errorf("backend %q: %s: %w", name, call, sdk.ErrNotImplemented)
	}
	return impl, nil
}
