package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// problem is one item of a 422 answer, in FastAPI's (pydantic v1) shape.
type problem struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// invalid is a request body that failed validation: a 422 with its
// problems as the detail list.
type invalid struct{ problems []problem }

func (e *invalid) Error() string { return fmt.Sprintf("%d validation problem(s)", len(e.problems)) }

// add records a problem at loc below "body".
func (e *invalid) add(msg, typ string, loc ...any) {
	e.problems = append(e.problems, problem{Loc: append([]any{"body"}, loc...), Msg: msg, Type: typ})
}

// fields is a JSON object body, member by member, with the problems found
// while reading its members.
type fields struct {
	m   map[string]json.RawMessage
	bad invalid
}

// decodeObject parses a request body that must be one JSON object. An
// empty body, bytes that are not JSON and JSON that is not an object get
// the problems FastAPI reports for them.
func decodeObject(data []byte) (*fields, *invalid) {
	if len(bytes.TrimSpace(data)) == 0 {
		bad := &invalid{}
		bad.add("field required", "value_error.missing")
		return nil, bad
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			bad := &invalid{}
			bad.add("value is not a valid dict", "type_error.dict")
			return nil, bad
		}
		return nil, jsonDecodeProblem(data, err)
	}
	if m == nil { // JSON null: FastAPI takes it for no body
		bad := &invalid{}
		bad.add("field required", "value_error.missing")
		return nil, bad
	}
	return &fields{m: m}, nil
}

// jsonDecodeProblem turns a JSON syntax error into FastAPI's answer: loc
// ["body", offset] and Python's json module message.
func jsonDecodeProblem(data []byte, err error) *invalid {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		pos := max(int(se.Offset)-1, 0)
		if strings.Contains(se.Error(), "in literal") {
			// Python reports a bad literal (nul, tru) where it starts.
			for pos > 0 && pos <= len(data) && isLetter(data[pos-1]) {
				pos--
			}
		}
		return jsonDecodeProblemAt(data, pos, pythonJSONMessage(se.Error()))
	}
	// io.ErrUnexpectedEOF: the input ends inside a value.
	return jsonDecodeProblemAt(data, len(data), "Expecting value")
}

// pythonJSONMessage maps encoding/json's wording to the message Python's
// json module gives for the same mistake.
func pythonJSONMessage(goMsg string) string {
	switch {
	case strings.Contains(goMsg, "looking for beginning of object key string"):
		return "Expecting property name enclosed in double quotes"
	case strings.Contains(goMsg, "after object key:value pair"), strings.Contains(goMsg, "after array element"):
		return "Expecting ',' delimiter"
	case strings.Contains(goMsg, "after object key"):
		return "Expecting ':' delimiter"
	case strings.Contains(goMsg, "after top-level value"):
		return "Extra data"
	}
	return "Expecting value"
}

// jsonDecodeProblemAt is the 422 for a JSON error at byte offset pos.
func jsonDecodeProblemAt(data []byte, pos int, msg string) *invalid {
	pos = min(pos, len(data))
	line := 1 + bytes.Count(data[:pos], []byte("\n"))
	col := pos - bytes.LastIndexByte(data[:pos], '\n')
	bad := &invalid{}
	bad.add(fmt.Sprintf("%s: line %d column %d (char %d)", msg, line, col, pos), "value_error.jsondecode", pos)
	return bad
}

// problems returns the validation error, or nil when every member read so
// far was valid.
func (f *fields) problems() error {
	if len(f.bad.problems) == 0 {
		return nil
	}
	return &f.bad
}

// null reports whether key is absent or JSON null.
func (f *fields) null(key string) bool {
	v, ok := f.m[key]
	return !ok || string(bytes.TrimSpace(v)) == "null"
}

// str reads a string member. A required one that is absent is "field
// required"; null is "none is not an allowed value"; anything but a
// string is "str type expected".
func (f *fields) str(key string, required bool) string {
	v, ok := f.m[key]
	if !ok {
		if required {
			f.bad.add("field required", "value_error.missing", key)
		}
		return ""
	}
	return f.strAt(v, !required, key)
}

// strAt reads one string value at loc.
func (f *fields) strAt(v json.RawMessage, nullOK bool, loc ...any) string {
	v = bytes.TrimSpace(v)
	if string(v) == "null" {
		if !nullOK {
			f.bad.add("none is not an allowed value", "type_error.none.not_allowed", loc...)
		}
		return ""
	}
	var s string
	if len(v) == 0 || v[0] != '"' || json.Unmarshal(v, &s) != nil {
		f.bad.add("str type expected", "type_error.str", loc...)
		return ""
	}
	return s
}

// strList reads an optional list of strings; absent or null is nil.
func (f *fields) strList(key string) []string {
	if f.null(key) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(f.m[key], &items); err != nil {
		f.bad.add("value is not a valid list", "type_error.list", key)
		return nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = f.strAt(it, false, key, i)
	}
	return out
}

// boolean reads an optional boolean; absent or null is false.
func (f *fields) boolean(key string) bool {
	if f.null(key) {
		return false
	}
	var b bool
	if err := json.Unmarshal(f.m[key], &b); err != nil {
		f.bad.add("value could not be parsed to a boolean", "type_error.bool", key)
	}
	return b
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
