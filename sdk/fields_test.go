package sdk_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// requireAllSet fails when any exported field of v, recursively through
// structs, pointers and the first element of slices, is zero. The round-trip tests run it
// on their inputs, so that a field added to an sdk type fails them until it
// is set there, and then until it crosses the wire.
func requireAllSet(t *testing.T, name string, v any) {
	t.Helper()
	var walk func(path string, rv reflect.Value)
	walk = func(path string, rv reflect.Value) {
		if rv.IsZero() {
			t.Errorf("%s is zero in the round-trip data; set it so the test covers it", path)
			return
		}
		switch rv.Kind() {
		case reflect.Pointer:
			walk(path, rv.Elem())
		case reflect.Struct:
			for i := 0; i < rv.NumField(); i++ {
				if f := rv.Type().Field(i); f.IsExported() {
					walk(path+"."+f.Name, rv.Field(i))
				}
			}
		case reflect.Slice:
			if rv.Type().Elem().Kind() == reflect.Uint8 {
				return
			}
			walk(path+"[0]", rv.Index(0))
		}
	}
	walk(name, reflect.ValueOf(v))
}

// filledByReflection returns a T with every field set to a non-zero value
// made from its name, so a field added to T is filled without the test
// naming it. It knows strings, ints and string lists, and fails on other
// kinds until it is taught them.
func filledByReflection[T any](t *testing.T) T {
	t.Helper()
	var out T
	v := reflect.ValueOf(&out).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Kind() == reflect.String:
			f.SetString(" " + name + " ")
		case f.CanInt():
			f.SetInt(int64(1000 + i))
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.String:
			f.Set(reflect.ValueOf([]string{name, "--" + name}))
		default:
			t.Fatalf("%T.%s is a %s: teach filledByReflection to fill it", out, name, f.Type())
		}
	}
	return out
}

// normalName is a field name without case or underscores, so that a Go
// field (BaseURL), a proto field (base_url) and its Go form (BaseUrl)
// compare equal.
func normalName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// TestBackendConfigShape: sdk.BackendConfig and the proto BackendConfig
// have the same fields, and every sdk.BackendConfig field, filled by
// reflection, crosses both adapters to the plugin unchanged. A field added
// to the sdk type but not to the proto message or a converter (or to the
// message but not the type) fails here.
func TestBackendConfigShape(t *testing.T) {
	sdkFields := map[string]string{}
	st := reflect.TypeFor[sdk.BackendConfig]()
	for i := range st.NumField() {
		sdkFields[normalName(st.Field(i).Name)] = st.Field(i).Name
	}
	pbFields := map[string]string{}
	fds := (&pb.BackendConfig{}).ProtoReflect().Descriptor().Fields()
	for i := range fds.Len() {
		pbFields[normalName(string(fds.Get(i).Name()))] = string(fds.Get(i).Name())
	}
	for n, name := range sdkFields {
		if _, ok := pbFields[n]; !ok {
			t.Errorf("sdk.BackendConfig.%s has no field in the proto BackendConfig", name)
		}
	}
	for n, name := range pbFields {
		if _, ok := sdkFields[n]; !ok {
			t.Errorf("proto BackendConfig.%s has no field in sdk.BackendConfig", name)
		}
	}

	rec := &recorder{}
	b := connect(t, rec)
	req := sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", Config: filledByReflection[sdk.BackendConfig](t)}}
	requireAllSet(t, "Config", req.Entry.Config)
	if _, err := b.Resolve(context.Background(), req); err != nil {
		t.Fatalf("Resolve() = %v", err)
	}
	got, _ := rec.last().(sdk.ResolveRequest)
	if !reflect.DeepEqual(got.Entry.Config, req.Entry.Config) {
		t.Errorf("the plugin got Config %+v, want %+v", got.Entry.Config, req.Entry.Config)
	}
}
