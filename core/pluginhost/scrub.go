package pluginhost

import (
	"reflect"

	"github.com/imageworks-ai/loader/sdk"
)

// callSecrets are the secrets a request carries: its API key and the
// credentials written into the endpoints it names. The host scrubs them
// from whatever the plugin answers, whatever the server echoed back.
func callSecrets(key sdk.Secret, endpoints ...string) []sdk.Secret {
	var out []sdk.Secret
	if key != "" {
		out = append(out, key)
	}
	for _, e := range endpoints {
		out = append(out, sdk.URLSecrets(e)...)
	}
	return out
}

// scrubbed is where a plugin's answers come back to the host: every string
// in v has the secrets replaced by sdk.Masked, and err's message is
// sdk.RedactText'ed (secrets and URL credentials) while errors.Is and
// errors.As still see the error it wraps.
func scrubbed[T any](secrets []sdk.Secret, v T, err error) (T, error) {
	if err != nil {
		if msg := sdk.RedactText(err.Error(), secrets...); msg != err.Error() {
			err = &redactedError{msg: msg, err: err}
		}
	}
	if len(secrets) > 0 {
		scrubValue(reflect.ValueOf(&v).Elem(), secrets)
	}
	return v, err
}

// redactedError shows a redacted message for an error it still wraps.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrubValue replaces the secrets in every settable string reachable from
// v: struct fields, slice and array elements (but not bytes), pointers
// and map values.
func scrubValue(v reflect.Value, secrets []sdk.Secret) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			if s := sdk.RedactSecrets(v.String(), secrets...); s != v.String() {
				v.SetString(s)
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			scrubValue(v.Elem(), secrets)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				scrubValue(v.Field(i), secrets)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // bytes (images) are data, not text shown to anyone
		}
		for i := range v.Len() {
			scrubValue(v.Index(i), secrets)
		}
	case reflect.Map:
		if v.IsNil() || v.Type().Elem().Kind() != reflect.String {
			return
		}
		iter := v.MapRange()
		for iter.Next() {
			s := iter.Value().String()
			if r := sdk.RedactSecrets(s, secrets...); r != s {
				v.SetMapIndex(iter.Key(), reflect.ValueOf(r).Convert(v.Type().Elem()))
			}
		}
	}
}
