package host_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// TestProtocolCoversBackend wants one RPC per method of sdk.Backend and
// of the lifecycle interfaces, by name,
// so that the interface and the .proto cannot drift apart.
func TestProtocolCoversBackend(t *testing.T) {
	var want []string
	for _, bt := range []reflect.Type{reflect.TypeFor[sdk.Backend](), reflect.TypeFor[sdk.ServerRunner](), reflect.TypeFor[sdk.ModelLoader]()} {
		for i := 0; i < bt.NumMethod(); i++ {
			want = append(want, bt.Method(i).Name)
		}
	}
	var got []string
	methods := pb.File_imageworks_backend_v1_backend_proto.Services().ByName("Backend").Methods()
	for i := 0; i < methods.Len(); i++ {
		got = append(got, string(methods.Get(i).Name()))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("service Backend has RPCs %v, want the sdk.Backend methods %v", got, want)
	}
	for _, call := range []string{sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision, sdk.CallArtifacts} {
		if !slices.Contains(got, call) {
			t.Errorf("optional call %q has no RPC", call)
		}
	}
}
