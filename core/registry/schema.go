package registry

import (
	"fmt"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// fieldCheck checks the value v of the field key (a dotted path for a
// member) and returns what is wrong, or "".
type fieldCheck func(key string, v doc.Value) string

// checkField checks one top-level field with the field table's checker
// for key and returns what is wrong, or "". Keys without a checker
// (unknown ones among them) are not checked.
func checkField(key string, v doc.Value) string {
	if c := knownFields().byKey[key].check; c != nil {
		return c(key, v)
	}
	return ""
}

// oneOf accepts a value of one of kinds; what names them in the message.
func oneOf(what string, kinds ...doc.Kind) fieldCheck {
	return func(key string, v doc.Value) string { return wantKind(key, v, what, kinds...) }
}

// wantKind returns what is wrong with v, the value of key, unless it is of
// one of kinds (what names them).
func wantKind(key string, v doc.Value, what string, kinds ...doc.Kind) string {
	return want(key, v, slices.Contains(kinds, v.Kind()), what)
}

// objectOf accepts an object (not null) whose every member passes elem.
func objectOf(elem fieldCheck) fieldCheck {
	return func(key string, v doc.Value) string {
		if v.Kind() != doc.Object {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, elem)
	}
}

// object accepts an object (or null when nullOK) whose members named in
// members pass their checker; other members are not checked.
func object(nullOK bool, members map[string]fieldCheck) fieldCheck {
	return func(key string, v doc.Value) string {
		if v.Kind() != doc.Object {
			return want(key, v, nullOK && v.Kind() == doc.Null, "an object")
		}
		return eachField(v, key, func(k string, e doc.Value) string {
			if c, ok := members[strings.TrimPrefix(k, key+".")]; ok {
				return c(k, e)
			}
			return ""
		})
	}
}

func timestampOrNull(key string, v doc.Value) string {
	if msg := wantKind(key, v, "a timestamp string or null", doc.String, doc.Null); msg != "" {
		return msg
	}
	return checkTimestamp(key, v)
}

func strListOrNull(key string, v doc.Value) string {
	if v.Kind() == doc.Null {
		return ""
	}
	return wantStrList(key, v)
}

// artifactFiles checks artifacts.files: a list of objects with string
// "path" and "sha256".
func artifactFiles(key string, v doc.Value) string {
	if v.Kind() != doc.List {
		return want(key, v, false, "a list")
	}
	for f := range v.Elems() {
		if f.Get("path").Kind() != doc.String || f.Get("sha256").Kind() != doc.String {
			return key + ": every element must be an object with string \"path\" and \"sha256\""
		}
	}
	return ""
}

func want(key string, v doc.Value, ok bool, what string) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("%s must be %s, found %s", key, what, kind(v))
}

func wantStrList(key string, v doc.Value) string {
	if v.Kind() != doc.List {
		return want(key, v, false, "a list of strings")
	}
	for e := range v.Elems() {
		if e.Kind() != doc.String {
			return fmt.Sprintf("%s must be a list of strings, found an element that is %s", key, kind(e))
		}
	}
	return ""
}

// eachField runs check on each member of obj (keys prefixed "parent.") and
// returns the first complaint.
func eachField(obj doc.Value, parent string, check func(key string, v doc.Value) string) string {
	for k, v := range obj.Members() {
		if msg := check(parent+"."+k, v); msg != "" {
			return msg
		}
	}
	return ""
}

func checkTimestamp(key string, v doc.Value) string {
	if v.Kind() != doc.String {
		return ""
	}
	if _, err := ParseTimestamp(v.Str()); err != nil {
		return fmt.Sprintf("%s is not an RFC 3339 timestamp: %q", key, v.Str())
	}
	return ""
}

// kind names a JSON value's type for messages.
func kind(v doc.Value) string {
	switch v.Kind() {
	case doc.Object:
		return "an object"
	case doc.List:
		return "a list"
	case doc.String:
		return "a string"
	case doc.Null:
		return "null"
	case doc.Bool:
		return "a boolean"
	case doc.Integer, doc.Float:
		return "a number"
	}
	return "invalid"
}
