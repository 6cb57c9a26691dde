package sdk_test

import (
	"reflect"
	"testing"
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
