package gateway

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The error types the Python chat proxy answered, and the gateway's own
// refusals in the same shape.
const (
	errModelNotFound      = "model_not_found"
	errCapabilityMismatch = "capability_mismatch"
	errBackendUnavailable = "backend_unavailable"
	errStartTimeout       = "model_start_timeout"
	errPayloadTooLarge    = "payload_too_large"
	errVisionProbeFailed  = "vision_probe_failed"
	errLockViolation      = "lock_violation"
	errSlotPinned         = "slot_pinned"
	errSlotClaimed        = "slot_claimed"
	errQueueFull          = "queue_timeout"
	errShuttingDown       = "shutting_down"
	errBadRequest         = "invalid_request_error"
	errUnauthorized       = "unauthorized"
)

// apiError is one refusal: its status, the chat proxy's type, message and
// optional hint.
type apiError struct {
	Type       string `json:"type"`
	Code       int    `json:"code"`
	Message    string `json:"message"`
	Hint       string `json:"hint,omitempty"`
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.Message }

func refuse(status int, typ, msg string) *apiError {
	return &apiError{Type: typ, Code: status, Message: msg}
}

// writeError answers e in the chat proxy's shape, which FastAPI wrapped in
// "detail", and at the top level where OpenAI clients read it:
// {"error": {...}, "detail": {"error": {...}}}.
func writeError(w http.ResponseWriter, e *apiError) {
	body := struct {
		Error  *apiError `json:"error"`
		Detail struct {
			Error *apiError `json:"error"`
		} `json:"detail"`
	}{Error: e}
	body.Detail.Error = e
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.Code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
