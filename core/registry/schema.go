package registry

import (
	"fmt"
	"strings"
)

// checkField checks the type of one top-level field against the contract
// and returns what is wrong, or "". Unknown keys are not checked.
func checkField(key string, v []byte) string {
	switch key {
	case "name", "backend":
		return want(key, v, isString(v), "a string")
	case "display_name", "served_model_id", "license", "family", "source_provider", "quantization",
		"download_format", "download_location", "download_path", "download_directory_checksum":
		return want(key, v, isString(v) || isNull(v), "a string or null")
	case "downloaded_at", "last_accessed":
		if msg := want(key, v, isString(v) || isNull(v), "a timestamp string or null"); msg != "" {
			return msg
		}
		return checkTimestamp(key, v)
	case "download_size_bytes":
		return want(key, v, isInteger(v) || isNull(v), "an integer or null")
	case "deprecated":
		return want(key, v, isBool(v), "a boolean")
	case "model_aliases", "roles", "backend_alternatives", "download_files":
		return wantStrList(key, v)
	case "role_priority":
		if !isObject(v) {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			return want(k, e, isInteger(e), "an integer")
		})
	case "backend_config":
		if !isObject(v) {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch k {
			case key + ".port":
				return want(k, e, isInteger(e) || isNull(e), "an integer")
			case key + ".model_path", key + ".host", key + ".base_url", key + ".api_key_env":
				return want(k, e, isString(e) || isNull(e), "a string")
			case key + ".extra_args":
				return wantStrList(k, e)
			}
			return ""
		})
	case "capabilities":
		if !isObject(v) {
			return want(key, v, false, "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			return want(k, e, isBool(e) || isObject(e), "a boolean or an object")
		})
	case "metadata":
		return want(key, v, isObject(v) || isNull(v), "an object")
	case "generation_defaults":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch strings.TrimPrefix(k, key+".") {
			case "max_tokens", "min_tokens", "top_k", "context_window":
				return want(k, e, isInteger(e) || isNull(e), "an integer or null")
			case "temperature", "top_p", "frequency_penalty", "presence_penalty":
				return want(k, e, isNumber(e) || isNull(e), "a number or null")
			case "stop_sequences":
				if isNull(e) {
					return ""
				}
				return wantStrList(k, e)
			}
			return ""
		})
	case "chat_template":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch strings.TrimPrefix(k, key+".") {
			case "source", "path", "sha256":
				return want(k, e, isString(e) || isNull(e), "a string or null")
			}
			return ""
		})
	case "performance":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch strings.TrimPrefix(k, key+".") {
			case "rolling_samples":
				return want(k, e, isInteger(e) || isNull(e), "an integer or null")
			case "ttft_ms_avg", "throughput_toks_per_s_avg":
				return want(k, e, isNumber(e) || isNull(e), "a number or null")
			case "last_sample":
				return want(k, e, isObject(e) || isNull(e), "an object or null")
			}
			return ""
		})
	case "artifacts":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch k {
			case "artifacts.aggregate_sha256":
				return want(k, e, isString(e) || isNull(e), "a string")
			case "artifacts.files":
				if !isArray(e) {
					return want(k, e, false, "a list")
				}
				msg := ""
				eachElem(e, func(f []byte) bool {
					p, _ := member(f, "path")
					h, _ := member(f, "sha256")
					if !isObject(f) || !isString(p) || !isString(h) {
						msg = "artifacts.files: every element must be an object with string \"path\" and \"sha256\""
						return false
					}
					return true
				})
				return msg
			}
			return ""
		})
	case "version_lock":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			switch k {
			case "version_lock.locked":
				return want(k, e, isBool(e), "a boolean")
			case "version_lock.expected_aggregate_sha256":
				return want(k, e, isString(e) || isNull(e), "a string or null")
			case "version_lock.last_verified":
				if msg := want(k, e, isString(e) || isNull(e), "a timestamp string or null"); msg != "" {
					return msg
				}
				return checkTimestamp(k, e)
			}
			return ""
		})
	case "probes":
		if !isObject(v) {
			return want(key, v, isNull(v), "an object")
		}
		return eachField(v, key, func(k string, e []byte) string {
			if k == "probes.vision" {
				return want(k, e, isObject(e) || isNull(e), "an object or null")
			}
			return ""
		})
	}
	return ""
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
