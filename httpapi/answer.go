package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/artifact"
	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/sdk"
)

// writeJSON answers status with v as encodeJSON encodes it.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := encodeJSON(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"detail":"encoding the answer failed"}`)
	}
	writeRaw(w, status, body)
}

// encodeJSON encodes v as compact JSON as Starlette's JSONResponse does:
// no HTML escaping, no final newline. Cached answers are encoded by it
// too, so they are the bytes an uncached one would be.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeRaw answers status with body, already JSON.
func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// detail is an error answer.
type detail struct {
	Detail any `json:"detail"`
}

// writeDetail answers status with {"detail": d}.
func writeDetail(w http.ResponseWriter, status int, d any) {
	writeJSON(w, status, detail{d})
}

// notFoundDetail is the Python service's 404 detail for an unknown name:
// str() of a KeyError, so Python's repr of the message, quotes included.
func notFoundDetail(name string) string {
	return pyRepr(fmt.Sprintf("Model '%s' not found in registry", name))
}

// pyRepr is Python's repr() of a str: single quotes unless the text holds
// a single quote and no double quote.
func pyRepr(s string) string {
	q := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// status maps a core error to its HTTP status and detail, for name: the
// CLI's classes of failure, each with its status (unknown 404; capability,
// ambiguous alias, corrupt artifact or lock violation 409; a plugin
// missing, untrusted, crashed or unreachable 502; a model server down or
// not serving the model 503).
func status(err error, name string) (int, string) {
	var lv *artifact.LockViolationError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, registry.ErrNotFound):
		var nf *registry.NotFoundError
		if name == "" && errors.As(err, &nf) {
			name = nf.Name // a role select's preferred name
		}
		return http.StatusNotFound, notFoundDetail(name)
	case errors.As(err, &lv):
		return http.StatusConflict, fmt.Sprintf("Version lock violation: expected %s got %s", lv.Expected, lv.Actual)
	case errors.Is(err, core.ErrCapability), errors.Is(err, core.ErrCorruptArtifact), errors.Is(err, registry.ErrAmbiguousAlias),
		errors.Is(err, registry.ErrInvalidField):
		return http.StatusConflict, oneLine(err)
	case errors.Is(err, artifact.ErrArtifactsMissing):
		return http.StatusNotFound, oneLine(err)
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large (limit %d bytes)", mbe.Limit)
	case backendFailure(err):
		return http.StatusBadGateway, oneLine(err)
	case serverDown(err):
		return http.StatusServiceUnavailable, oneLine(err)
	}
	return http.StatusInternalServerError, oneLine(err)
}

// backendFailure reports whether err is a plugin that could not be found,
// trusted, started or reached, or that crashed or timed out.
func backendFailure(err error) bool {
	var pe *pluginhost.PluginError
	return errors.As(err, &pe) || errors.Is(err, pluginhost.ErrPluginNotFound) ||
		errors.Is(err, core.ErrUnknownBackend) || errors.Is(err, pluginhost.ErrHostClosed)
}

// serverDown reports whether err says a model server is down, unreachable
// or does not serve the model: a live check's finding, or a backend's
// sdk.ErrUnavailable.
func serverDown(err error) bool {
	return errors.Is(err, core.ErrServerDown) || errors.Is(err, core.ErrNotServed) || errors.Is(err, sdk.ErrUnavailable)
}

// writeError answers err as status maps it.
func writeError(w http.ResponseWriter, err error, name string) {
	code, d := status(err, name)
	writeDetail(w, code, d)
}

// oneLine is an error's message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}

// readBody reads a request body up to limit bytes; a longer one is an
// *http.MaxBytesError.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// readObject reads and parses a JSON object body, answering the request
// itself (413 or 422) and returning nil when it cannot be used.
func readObject(w http.ResponseWriter, r *http.Request) *fields {
	data, err := readBody(w, r, MaxBodyBytes)
	if err != nil {
		writeError(w, err, "")
		return nil
	}
	f, bad := decodeObject(data)
	if bad != nil {
		writeDetail(w, http.StatusUnprocessableEntity, bad.problems)
		return nil
	}
	return f
}

// valid answers 422 and returns false when f holds problems.
func valid(w http.ResponseWriter, f *fields) bool {
	var bad *invalid
	if errors.As(f.problems(), &bad) {
		writeDetail(w, http.StatusUnprocessableEntity, bad.problems)
		return false
	}
	return true
}
