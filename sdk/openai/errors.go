package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// ErrorBody is an error body decoded from any of the shapes servers send.
type ErrorBody struct {
	// Message is the server's error message.
	Message string
	// Type is the error type ("NotFoundError", "not_found_error", ...), or "".
	Type string
	// Code is the numeric "code" when the body has one, else 0.
	Code int
}

// DecodeError reads an error body in any of the three shapes
// OpenAI-compatible servers send:
//
//	nested {"error": {"message": "...", "type": "...", "code": 404}}
//	flat   {"message": "...", "type": "...", "code": 404, "object": "error"}
//	plain  {"error": "text"}
//
// and FastAPI's {"detail": "text"}. It reports false when body is none of
// these (empty, not JSON, or JSON without a message).
func DecodeError(body []byte) (ErrorBody, bool) {
	var raw struct {
		Error   json.RawMessage `json:"error"`
		Message json.RawMessage `json:"message"`
		Type    json.RawMessage `json:"type"`
		Code    json.RawMessage `json:"code"`
		Detail  json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &raw); err != nil {
		return ErrorBody{}, false
	}
	if len(raw.Error) > 0 && !isNull(raw.Error) {
		if s, ok := jsonString(raw.Error); ok {
			return ErrorBody{Message: s}, s != ""
		}
		var nested struct {
			Message json.RawMessage `json:"message"`
			Type    json.RawMessage `json:"type"`
			Code    json.RawMessage `json:"code"`
		}
		if err := json.Unmarshal(raw.Error, &nested); err == nil {
			b := ErrorBody{Message: textOf(nested.Message), Type: textOf(nested.Type), Code: codeOf(nested.Code)}
			if b.Message != "" {
				return b, true
			}
		}
	}
	if m := textOf(raw.Message); m != "" {
		return ErrorBody{Message: m, Type: textOf(raw.Type), Code: codeOf(raw.Code)}, true
	}
	if d := textOf(raw.Detail); d != "" {
		return ErrorBody{Message: d}, true
	}
	return ErrorBody{}, false
}

func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }

func jsonString(r json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		return "", false
	}
	return s, true
}

// textOf returns a JSON string's value, or a compact rendering of any other
// non-null value (FastAPI details are lists), or "".
func textOf(r json.RawMessage) string {
	if len(r) == 0 || isNull(r) {
		return ""
	}
	if s, ok := jsonString(r); ok {
		return s
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, r); err != nil {
		return ""
	}
	return buf.String()
}

func codeOf(r json.RawMessage) int {
	if len(r) == 0 || isNull(r) {
		return 0
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err == nil {
		if i, err := strconv.Atoi(n.String()); err == nil {
			return i
		}
	}
	if s, ok := jsonString(r); ok {
		if i, err := strconv.Atoi(s); err == nil {
			return i
		}
	}
	return 0
}

// APIError is an HTTP error answer from a server. It unwraps to the sdk
// sentinel matching its status (see SentinelFor): 401 and 403
// sdk.ErrUnauthorized, 404 sdk.ErrModelNotFound, 408, 429, 502, 503 and 504
// sdk.ErrUnavailable, other 4xx sdk.ErrBadRequest, other 5xx (and anything
// else) sdk.ErrBadResponse. A 404 whose message names no model is a route
// the server lacks (RouteNotFound), not a missing model: it unwraps to
// sdk.ErrBadRequest, and its message says so.
type APIError struct {
	// Method is the request's HTTP method.
	Method string
	// URL is the request's URL with any password redacted and without its
	// query or fragment.
	URL string
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the server's message decoded from the body, or the start
	// of the body when it was not a known error shape, or the status text.
	Message string
	// Type is the server's error type, when it gave one.
	Type string
}

// Error says what was asked, the status, and the server's message. A 401 or
// 403 says authentication failed.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	switch {
	case e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden:
		fmt.Fprintf(&b, "authentication failed (HTTP %d; check the API key)", e.StatusCode)
	case e.RouteNotFound():
		fmt.Fprintf(&b, "no such route on this server (HTTP %d)", e.StatusCode)
	default:
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " %s", e.Type)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	fmt.Fprintf(&b, " (%v)", e.Unwrap())
	return b.String()
}

// Unwrap returns the sdk sentinel for the status code; for a route the
// server lacks, sdk.ErrBadRequest.
func (e *APIError) Unwrap() error {
	if e.RouteNotFound() {
		return sdk.ErrBadRequest
	}
	return SentinelFor(e.StatusCode)
}

// RouteNotFound reports whether e is a 404 for a route the server does not
// have ("404 page not found", FastAPI's {"detail":"Not Found"}) rather than
// for a model it does not serve: its message names no model, as the model
// errors of vLLM, LMDeploy and Ollama all do.
func (e *APIError) RouteNotFound() bool {
	return e.StatusCode == http.StatusNotFound && !strings.Contains(strings.ToLower(e.Message), "model")
}

// SentinelFor returns the sdk sentinel error an HTTP error status maps to,
// as described on APIError, or nil for a status below 400.
func SentinelFor(status int) error {
	switch {
	case status < 400:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return sdk.ErrUnauthorized
	case status == http.StatusNotFound:
		return sdk.ErrModelNotFound
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests ||
		status == http.StatusBadGateway || status == http.StatusServiceUnavailable ||
		status == http.StatusGatewayTimeout:
		return sdk.ErrUnavailable
	case status < 500:
		return sdk.ErrBadRequest
	default:
		return sdk.ErrBadResponse
	}
}

// newAPIError builds the error for a non-2xx answer with the given body.
func newAPIError(method, url string, status int, body []byte) *APIError {
	e := &APIError{Method: method, URL: url, StatusCode: status}
	if b, ok := DecodeError(body); ok {
		e.Message, e.Type = b.Message, b.Type
	} else if t := strings.TrimSpace(string(body)); t != "" {
		e.Message = Excerpt(t)
	} else {
		e.Message = http.StatusText(status)
	}
	return e
}
