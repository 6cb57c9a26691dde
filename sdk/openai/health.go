package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// Health reports whether the server at req.Endpoint is up and which of
// req.Models it serves:
//
//   - with a health route (WithHealthRoute), GET it at the server root
//     without the key: 2xx is up (a JSON "status" other than "ok" or
//     "healthy", such as LMDeploy's "sleeping", is noted), an error status
//     is down with a note; a 404 means the server lacks the route, so up is
//     judged by /v1/models;
//   - with an identity (WithIdentity), GET its version route: a version
//     identifies the server and fills Version; otherwise a note says the
//     server was not identified and which kind was seen;
//   - GET /v1/models with the key: every card's id is served. A server that
//     cannot list is down when no health route said it is up, else up
//     with a note;
//   - for a single-model server (WithSingleModel), every requested id is
//     served and Served holds the server's own id.
//
// A server that is unreachable, times out or answers an error is Up false
// with a note, not an error. Errors: an empty endpoint wraps
// sdk.ErrBadRequest; a refused key wraps sdk.ErrUnauthorized; a cancelled
// context is returned wrapped.
func (b *Backend) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if strings.TrimSpace(req.Endpoint) == "" {
		return sdk.HealthStatus{}, fmt.Errorf("no endpoint: %w", sdk.ErrBadRequest)
	}
	ctx, cancel := CallContext(ctx, 0, DefaultHealthTimeout)
	defer cancel()
	hs := sdk.HealthStatus{Models: Statuses(req.Models, nil, nil)}
	root := b.client(ServerRoot(req.Endpoint), "")

	judged, routeMissing := false, false
	if b.healthRoute != "" {
		r, err := root.Do(ctx, http.MethodGet, b.healthRoute, nil)
		if r != nil {
			hs.LatencyMS = r.Latency.Milliseconds()
		}
		var ae *APIError
		switch {
		case err == nil:
			hs.Up, judged = true, true
			if st, ok := healthStatus(r.Body); ok && st.Status != "ok" && st.Status != "healthy" {
				hs.Notes = append(hs.Notes, st.note(b.healthRoute, r.StatusCode))
			}
		case errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound:
			routeMissing = true
			hs.Notes = append(hs.Notes, fmt.Sprintf("GET %s: no such route (HTTP 404): up and served judged by GET /v1/models", b.healthRoute))
		default:
			note, down := ServerDown(err)
			if !down {
				return sdk.HealthStatus{}, err
			}
			if st, ok := healthStatus(r.bodyOrNil()); ok {
				note = st.note(b.healthRoute, r.StatusCode)
			}
			hs.Notes = append(hs.Notes, note)
			return hs, nil
		}
	}

	identified := false
	if id := b.identity; id != nil {
		if routeMissing {
			hs.Notes = append(hs.Notes, fmt.Sprintf("not identified as %s: it has no GET %s", id.Kind, b.healthRoute))
		} else {
			version, note, err := b.identify(ctx, root)
			if err != nil {
				return sdk.HealthStatus{}, err
			}
			identified, hs.Version = version != "", version
			if note != "" {
				hs.Notes = append(hs.Notes, note)
			}
		}
	}

	list, r, err := b.client(req.Endpoint, req.APIKey).Models(ctx)
	if err != nil {
		note, down := ServerDown(err)
		if !down {
			return sdk.HealthStatus{}, fmt.Errorf("listing models: %w", err)
		}
		if judged {
			hs.Notes = append(hs.Notes, "listing models: "+note)
		} else {
			hs.Notes = append(hs.Notes, note)
		}
		return hs, nil
	}
	if !judged {
		hs.Up = true
		if hs.LatencyMS == 0 {
			hs.LatencyMS = r.Latency.Milliseconds()
		}
	}
	if b.identity != nil && !identified {
		hs.Notes = append(hs.Notes, "server seen: OpenAI-compatible, "+owners(list))
	}
	hs.Served = list.IDs()
	hs.Models = Statuses(req.Models, hs.Served, nil)
	if b.single != nil {
		return b.singleServed(ctx, root, req, hs)
	}
	return hs, nil
}

// identify asks the identity's version route. It returns the version (""
// when the server is not identified) and a note when it is not; its error
// is the context's, when that ended.
func (b *Backend) identify(ctx context.Context, root *Client) (string, string, error) {
	id := b.identity
	var v struct {
		Version string `json:"version"`
	}
	_, err := root.GetJSON(ctx, id.VersionRoute, &v)
	switch {
	case err == nil && v.Version != "":
		return v.Version, "", nil
	case ctx.Err() != nil:
		return "", "", err
	case err == nil:
		return "", fmt.Sprintf("not identified as %s: GET %s gave no version", id.Kind, id.VersionRoute), nil
	default:
		return "", fmt.Sprintf("not identified as %s: %v", id.Kind, err), nil
	}
}

// owners says who the listed models are owned by, which tells servers
// apart ("vllm", "lmdeploy", Ollama's "library", "llamacpp").
func owners(list ModelList) string {
	var o []string
	for _, c := range list.Data {
		if c.OwnedBy != "" {
			o = append(o, c.OwnedBy)
		}
	}
	slices.Sort(o)
	o = slices.Compact(o)
	if len(o) == 0 {
		return fmt.Sprintf("%d model(s) listed, no owner given", len(list.Data))
	}
	return fmt.Sprintf("models owned by %q", o)
}

// singleServed ends Health on a single-model server: every requested id
// is served, and Served holds the server's own id. A server whose id
// cannot be found keeps the listing's answer, with a note.
func (b *Backend) singleServed(ctx context.Context, root *Client, req sdk.HealthRequest, hs sdk.HealthStatus) (sdk.HealthStatus, error) {
	var id, why string
	if s := b.single; s.route == "" {
		if len(hs.Served) == 1 {
			id = hs.Served[0]
		} else {
			why = fmt.Sprintf("GET /v1/models lists %d models, want the one", len(hs.Served))
		}
	} else {
		var info map[string]any
		_, err := root.GetJSON(ctx, s.route, &info)
		switch {
		case ctx.Err() != nil:
			return sdk.HealthStatus{}, err
		case err != nil:
			why = err.Error()
		default:
			id, _ = info[s.field].(string)
			if id == "" {
				why = fmt.Sprintf("GET %s has no string %q", s.route, s.field)
			}
		}
	}
	if id == "" {
		hs.Notes = append(hs.Notes, "served model id not found: "+why)
		return hs, nil
	}
	if !slices.Contains(hs.Served, id) {
		hs.Served = append(hs.Served, id)
		slices.Sort(hs.Served)
	}
	for i := range hs.Models {
		hs.Models[i].Served = true
	}
	hs.Notes = append(hs.Notes, fmt.Sprintf("serves one model, %q, under any requested id", id))
	return hs, nil
}

// statusBody is a JSON health answer with a status (LMDeploy 0.14+,
// llama.cpp).
type statusBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// healthStatus decodes a health answer's JSON status, if it has one.
func healthStatus(body []byte) (statusBody, bool) {
	var st statusBody
	if len(bytes.TrimSpace(body)) == 0 || json.Unmarshal(body, &st) != nil || st.Status == "" {
		return statusBody{}, false
	}
	return st, true
}

func (st statusBody) note(route string, code int) string {
	n := fmt.Sprintf("GET %s: status %q (HTTP %d)", route, st.Status, code)
	if st.Message != "" {
		n += ": " + st.Message
	}
	return n
}

// bodyOrNil is r's body, or nil for no response.
func (r *Response) bodyOrNil() []byte {
	if r == nil {
		return nil
	}
	return r.Body
}
