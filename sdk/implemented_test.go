package sdk_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

// healthOnly implements one optional call, Health, and keeps no list.
type healthOnly struct{ onlyRequired }

func (healthOnly) Health(_ context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return sdk.HealthStatus{Up: true, Models: []sdk.ModelStatus{{ID: "m", Served: true}}}, nil
}

// probeAndArtifacts implements two optional calls, declared out of order.
type probeAndArtifacts struct{ onlyRequired }

func (probeAndArtifacts) ProbeVision(context.Context, sdk.ProbeRequest) (sdk.ProbeResult, error) {
	return sdk.ProbeResult{VisionOK: true}, nil
}

func (probeAndArtifacts) Artifacts(context.Context, sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	return sdk.ArtifactSet{Root: "/m"}, nil
}

// allSix is a backend of the older kind that answers all six methods
// itself and keeps its own list (the calls not listed answer
// ErrNotImplemented).
type allSix struct {
	probeAndArtifacts
	healthOnly
}

func (allSix) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "six", Implements: []string{sdk.CallHealth}}, nil
}
func (allSix) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{}, nil
}
func (allSix) ListModels(context.Context, sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	return nil, sdk.ErrNotImplemented
}

// legacyHealth embeds sdk.Unimplemented and lists the one call it
// overrides, as the guide used to say.
type legacyHealth struct {
	sdk.Unimplemented //nolint:staticcheck // the deprecated way, on purpose
	healthOnly
}

func (legacyHealth) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "legacy", Implements: []string{sdk.CallHealth}}, nil
}
func (legacyHealth) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{}, nil
}
func (l legacyHealth) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	return l.healthOnly.Health(ctx, req)
}

func TestImplemented(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    sdk.Backend
		want []string
	}{
		{"none", onlyRequired{}, nil},
		{"health", healthOnly{}, []string{sdk.CallHealth}},
		{"sorted", probeAndArtifacts{}, []string{sdk.CallArtifacts, sdk.CallProbeVision}},
		{"own list kept", allSix{}, []string{sdk.CallHealth}},
		{"legacy, nothing listed", legacyRequired{}, nil},
		{"legacy list kept", legacyHealth{}, []string{sdk.CallHealth}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, err := tc.b.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := sdk.Implemented(tc.b, info); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Implemented(%T) = %q, want %q", tc.b, got, tc.want)
			}
		})
	}
}

// TestServeReportsImplemented checks, through the protocol, that the
// host learns what a backend implements without the backend listing it, and
// that the calls it lacks answer ErrNotImplemented.
func TestServeReportsImplemented(t *testing.T) {
	ctx := context.Background()
	b := connect(t, healthOnly{})
	info, err := b.Info(ctx)
	if err != nil || !reflect.DeepEqual(info.Implements, []string{sdk.CallHealth}) {
		t.Errorf("Info().Implements = %q, %v, want [Health]", info.Implements, err)
	}
	if h, err := b.Health(ctx, sdk.HealthRequest{Endpoint: "http://x/v1"}); err != nil || !h.Up {
		t.Errorf("Health() = %+v, %v, want the backend's answer", h, err)
	}
	if _, err := b.ListModels(ctx, sdk.ListModelsRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("ListModels() error = %v, want one wrapping sdk.ErrNotImplemented", err)
	}

	b = connect(t, probeAndArtifacts{})
	if info, err := b.Info(ctx); err != nil || !reflect.DeepEqual(info.Implements, []string{sdk.CallArtifacts, sdk.CallProbeVision}) {
		t.Errorf("Info().Implements = %q, %v, want [Artifacts ProbeVision]", info.Implements, err)
	}
	if set, err := b.Artifacts(ctx, sdk.ArtifactsRequest{}); err != nil || set.Root != "/m" {
		t.Errorf("Artifacts() = %+v, %v, want the backend's answer", set, err)
	}
	if _, err := b.Health(ctx, sdk.HealthRequest{}); !errors.Is(err, sdk.ErrNotImplemented) {
		t.Errorf("Health() error = %v, want one wrapping sdk.ErrNotImplemented", err)
	}
}
