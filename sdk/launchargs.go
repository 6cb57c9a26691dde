package sdk

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Flag is a server flag with its value ("--max-model-len", "8192").
type Flag struct {
	// Name is the flag with its dashes.
	Name string
	// Value is the flag's argument.
	Value string
}

// ServerArgs builds a server's arguments the way the earlier Python tool
// did: base, then each default whose flag extra does not give, then extra
// (an entry's backend_config.extra_args), so a flag given in extra wins over
// a default.
//
// warnings say which defaults extra overrides and which flags extra gives
// twice. A flag of owned (the ones the host must set, such as --port) in
// extra is an error wrapping ErrBadRequest. A flag is an argument starting
// with "--" (or "-" and one letter); "--name=value" counts as --name.
func ServerArgs(base []string, owned []string, defaults []Flag, extra []string) (args []string, warnings []string, err error) {
	given := map[string]int{}
	for _, a := range extra {
		name, ok := flagName(a)
		if !ok {
			continue
		}
		for _, o := range owned {
			if name == o {
				return nil, nil, fmt.Errorf("backend_config.extra_args gives %s, which the host sets itself: %w", name, ErrBadRequest)
			}
		}
		given[name]++
		if given[name] == 2 {
			warnings = append(warnings, fmt.Sprintf("backend_config.extra_args gives %s twice; the server takes the last", name))
		}
	}
	args = append(args, base...)
	for _, d := range defaults {
		if given[d.Name] > 0 {
			warnings = append(warnings, fmt.Sprintf("backend_config.extra_args gives %s, so the default %s is not passed", d.Name, d.Value))
			continue
		}
		args = append(args, d.Name, d.Value)
	}
	return append(args, extra...), warnings, nil
}

// flagName returns the flag an argument names, without any "=value".
func flagName(a string) (string, bool) {
	if !strings.HasPrefix(a, "-") || a == "-" || a == "--" || isNumber(a) {
		return "", false
	}
	name, _, _ := strings.Cut(a, "=")
	return name, true
}

// isNumber reports whether s is a number ("-1", "-0.5"), a value
// rather than a flag.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// Lookup returns the raw JSON value at path in the entry's merged record
// (Lookup("chat_template", "path")), and whether it is there and not null.
func (e Entry) Lookup(path ...string) (json.RawMessage, bool) {
	v := json.RawMessage(e.Raw)
	for _, key := range path {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(v, &obj); err != nil {
			return nil, false
		}
		var ok bool
		if v, ok = obj[key]; !ok {
			return nil, false
		}
	}
	if len(v) == 0 || string(v) == "null" {
		return nil, false
	}
	return v, true
}

// LookupString returns the string at path in the entry's merged record, or
// "" when it is missing, null or not a string.
func (e Entry) LookupString(path ...string) string {
	v, ok := e.Lookup(path...)
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		return ""
	}
	return s
}

// Command returns the program an entry's backend_config names under key,
// given as a string split at spaces ("uv run vllm") or as a list of
// strings, or def when the key is missing. A value of another type is an
// error wrapping ErrBadRequest.
func (e Entry) Command(key string, def ...string) ([]string, error) {
	v, ok := e.Lookup("backend_config", key)
	if !ok {
		return def, nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if f := strings.Fields(s); len(f) > 0 {
			return f, nil
		}
		return def, nil
	}
	var list []string
	if json.Unmarshal(v, &list) == nil && len(list) > 0 {
		return list, nil
	}
	return nil, fmt.Errorf("entry %q: backend_config.%s must be a command (a string or a list of strings): %w", e.Name, key, ErrBadRequest)
}
