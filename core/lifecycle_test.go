package core

import (
	"context"
	"errors"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

// listsLoading is a backend written against the old sdk: it embeds
// sdk.Unimplemented and lists ModelLoading among its calls, but has no
// ModelLoader methods.
type listsLoading struct{ sdk.Unimplemented }

func (listsLoading) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "lister", Version: "1", Protocols: []int{1}, Implements: []string{sdk.CallModelLoading}}, nil
}

func (listsLoading) Resolve(context.Context, sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: "http://127.0.0.1:1/v1"}, nil
}

// TestLifecycleListedButMissing: a backend that lists a lifecycle call it
// has no method for has no lifecycle (ErrNoLifecycle), for Activate,
// Deactivate and Loaded alike, instead of a call on a nil interface.
func TestLifecycleListedButMissing(t *testing.T) {
	dir := writeRegistry(t, `[{"name": "m", "backend": "lister"}]`, "")
	l := open(t, dir, map[string]sdk.Backend{"lister": listsLoading{}})
	ctx := context.Background()
	if _, err := l.Activate(ctx, "m", LifecycleOptions{}); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Activate() error = %v, want ErrNoLifecycle", err)
	}
	if _, err := l.Deactivate(ctx, "m", LifecycleOptions{}); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Deactivate() error = %v, want ErrNoLifecycle", err)
	}
	if _, err := l.Loaded(ctx, "lister"); !errors.Is(err, ErrNoLifecycle) {
		t.Errorf("Loaded() error = %v, want ErrNoLifecycle", err)
	}
}
