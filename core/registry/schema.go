package registry

import (
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// fieldCheck checks the value v of the field key (a dotted path for a
// member) and returns what is wrong, or "".
type fieldCheck func(key string, v []byte) string

// checkField checks one top-level field with the field table's checker
// for key and returns what is wrong, or "". Keys without a checker
// (unknown ones among them) are not checked.
func checkField(key string, v []byte) string {
	if c := knownFields().byKey[key].check; c != nil {
		return c(key, v)
	}
	return ""
}

// oneOf accepts a value for which one of ok holds; what names them in the
// message.
func oneOf(what string, ok ...func([]byte) bool) fieldCheck {
	return func(key string, v []byte) string {
		for _, f := range ok {
			if f(v) {
				return ""
			}
		}
		return want(key, v, false, what)
	}
}

// objectOf accepts an object (not null) whose every member passes elem.
func objectOf(elem fieldCheck) fieldCheck {
	return func(key string, v []byte) string {
		if !doc.IsObject(v) {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, elem)
	}
}

// object accepts an object (or null when nullOK) whose members named in
// members pass their checker; other members are not checked.
func object(nullOK bool, members map[string]fieldCheck) fieldCheck {
	return func(key string, v []byte) string {
		if !doc.IsObject(v) {
			return want(key, v, nullOK && doc.IsNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			if c, ok := members[strings.TrimPrefix(k, key+".")]; ok {
				return c(k, e)
			}
			return ""
		})
	}
}

func timestampOrNull(key string, v []byte) string {
	if msg := want(key, v, doc.IsString(v) || doc.IsNull(v), "a timestamp string or null"); msg != "" {
		return msg
	}
	return checkTimestamp(key, v)
}

func strListOrNull(key string, v []byte) string {
	if doc.IsNull(v) {
		return ""
	}
	return wantStrList(key, v)
}

// artifactFiles checks artifacts.files: a list of objects with string
// "path" and "sha256".
func artifactFiles(key string, v []byte) string {
	if !doc.IsArray(v) {
		return want(key, v, false, "a list")
	}
	msg := ""
	doc.EachElem(v, func(f []byte) bool {
		p, _ := doc.Member(f, "path")
		h, _ := doc.Member(f, "sha256")
		if !doc.IsObject(f) || !doc.IsString(p) || !doc.IsString(h) {
			msg = key + ": every element must be an object with string \"path\" and \"sha256\""
			return false
		}
		return true
	})
	return msg
}

func want(key string, v []byte, ok bool, what string) string {
	if ok {
		return ""
	}
	return fmt.Sprintf("%s must be %s, found %s", key, what, kind(v))
}

func wantStrList(key string, v []byte) string {
	if !doc.IsArray(v) {
		return want(key, v, false, "a list of strings")
	}
	msg := ""
	doc.EachElem(v, func(e []byte) bool {
		if !doc.IsString(e) {
			msg = fmt.Sprintf("%s must be a list of strings, found an element that is %s", key, kind(e))
			return false
		}
		return true
	})
	return msg
}

// eachField runs check on each member of obj (keys prefixed "parent.") and
// returns the first complaint.
func eachField(obj []byte, parent string, check func(key string, v []byte) string) string {
	msg := ""
	doc.EachMember(obj, func(k, v []byte) bool {
		msg = check(parent+"."+doc.Unquote(k), v)
		return msg == ""
	})
	return msg
}

func checkTimestamp(key string, v []byte) string {
	if !doc.IsString(v) {
		return ""
	}
	if _, err := ParseTimestamp(doc.Unquote(v)); err != nil {
		return fmt.Sprintf("%s is not an RFC 3339 timestamp: %q", key, doc.Unquote(v))
	}
	return ""
}

// kind names a JSON value's type for messages.
func kind(v []byte) string {
	switch {
	case doc.IsObject(v):
		return "an object"
	case doc.IsArray(v):
		return "a list"
	case doc.IsString(v):
		return "a string"
	case doc.IsNull(v):
		return "null"
	case doc.IsBool(v):
		return "a boolean"
	case doc.IsNumber(v):
		return "a number"
	}
	return "invalid"
}
