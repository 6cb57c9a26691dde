package registry

import (
	"fmt"
	"strings"
)

// fieldCheck checks the value v of the field key (a dotted path for a
// member) and returns what is wrong, or "".
type fieldCheck func(key string, v []byte) string

// fieldChecks returns the contract's checker of each top-level key it
// types. Keys without a checker are not checked.
func fieldChecks() map[string]fieldCheck {
	str := oneOf("a string", isString)
	strOrNull := oneOf("a string or null", isString, isNull)
	intOrNull := oneOf("an integer or null", isInteger, isNull)
	numOrNull := oneOf("a number or null", isNumber, isNull)
	boolean := oneOf("a boolean", isBool)
	return map[string]fieldCheck{
		"name":                        str,
		"backend":                     str,
		"display_name":                strOrNull,
		"served_model_id":             strOrNull,
		"license":                     strOrNull,
		"family":                      strOrNull,
		"source_provider":             strOrNull,
		"quantization":                strOrNull,
		"download_format":             strOrNull,
		"download_location":           strOrNull,
		"download_path":               strOrNull,
		"download_directory_checksum": strOrNull,
		"downloaded_at":               timestampOrNull,
		"last_accessed":               timestampOrNull,
		"download_size_bytes":         intOrNull,
		"deprecated":                  boolean,
		"model_aliases":               wantStrList,
		"roles":                       wantStrList,
		"backend_alternatives":        wantStrList,
		"download_files":              wantStrList,
		"role_priority":               objectOf(oneOf("an integer", isInteger)),
		"capabilities":                objectOf(oneOf("a boolean or an object", isBool, isObject)),
		"metadata":                    oneOf("an object", isObject, isNull),
		"backend_config": object(false, map[string]fieldCheck{
			"port":        oneOf("an integer", isInteger, isNull),
			"model_path":  oneOf("a string", isString, isNull),
			"host":        oneOf("a string", isString, isNull),
			"base_url":    oneOf("a string", isString, isNull),
			"api_key_env": oneOf("a string", isString, isNull),
			"extra_args":  wantStrList,

			// The Ollama backend's model store (docs/backends.md).
			"ollama_models": oneOf("a string", isString, isNull),
		}),
		"generation_defaults": object(true, map[string]fieldCheck{
			"max_tokens":        intOrNull,
			"min_tokens":        intOrNull,
			"top_k":             intOrNull,
			"context_window":    intOrNull,
			"temperature":       numOrNull,
			"top_p":             numOrNull,
			"frequency_penalty": numOrNull,
			"presence_penalty":  numOrNull,
			"stop_sequences":    strListOrNull,
		}),
		"chat_template": object(true, map[string]fieldCheck{
			"source": strOrNull,
			"path":   strOrNull,
			"sha256": strOrNull,
		}),
		"performance": object(true, map[string]fieldCheck{
			"rolling_samples":           intOrNull,
			"ttft_ms_avg":               numOrNull,
			"throughput_toks_per_s_avg": numOrNull,
			"last_sample":               oneOf("an object or null", isObject, isNull),
		}),
		"artifacts": object(true, map[string]fieldCheck{
			"aggregate_sha256": oneOf("a string", isString, isNull),
			"files":            artifactFiles,
		}),
		"version_lock": object(true, map[string]fieldCheck{
			"locked":                    boolean,
			"expected_aggregate_sha256": strOrNull,
			"last_verified":             timestampOrNull,
		}),
		"probes": object(true, map[string]fieldCheck{
			"vision": oneOf("an object or null", isObject, isNull),
		}),
	}
}

// checkField checks one top-level field with checks and returns what is
// wrong, or "". Unknown keys are not checked.
func checkField(checks map[string]fieldCheck, key string, v []byte) string {
	if c, ok := checks[key]; ok {
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
		if !isObject(v) {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, elem)
	}
}

// object accepts an object (or null when nullOK) whose members named in
// members pass their checker; other members are not checked.
func object(nullOK bool, members map[string]fieldCheck) fieldCheck {
	return func(key string, v []byte) string {
		if !isObject(v) {
			return want(key, v, nullOK && isNull(v), "an object")
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
	if msg := want(key, v, isString(v) || isNull(v), "a timestamp string or null"); msg != "" {
		return msg
	}
	return checkTimestamp(key, v)
}

func strListOrNull(key string, v []byte) string {
	if isNull(v) {
		return ""
	}
	return wantStrList(key, v)
}

// artifactFiles checks artifacts.files: a list of objects with string
// "path" and "sha256".
func artifactFiles(key string, v []byte) string {
	if !isArray(v) {
		return want(key, v, false, "a list")
	}
	msg := ""
	eachElem(v, func(f []byte) bool {
		p, _ := member(f, "path")
		h, _ := member(f, "sha256")
		if !isObject(f) || !isString(p) || !isString(h) {
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
	if !isArray(v) {
		return want(key, v, false, "a list of strings")
	}
	msg := ""
	eachElem(v, func(e []byte) bool {
		if !isString(e) {
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
	eachMember(obj, func(k, v []byte) bool {
		msg = check(parent+"."+unquote(k), v)
		return msg == ""
	})
	return msg
}

func checkTimestamp(key string, v []byte) string {
	if !isString(v) {
		return ""
	}
	if _, err := ParseTimestamp(unquote(v)); err != nil {
		return fmt.Sprintf("%s is not an RFC 3339 timestamp: %q", key, unquote(v))
	}
	return ""
}

// kind names a JSON value's type for messages.
func kind(v []byte) string {
	switch {
	case isObject(v):
		return "an object"
	case isArray(v):
		return "a list"
	case isString(v):
		return "a string"
	case isNull(v):
		return "null"
	case isBool(v):
		return "a boolean"
	case isNumber(v):
		return "a number"
	}
	return "invalid"
}
