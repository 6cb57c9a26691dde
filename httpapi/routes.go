package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// serviceName is what GET / calls the service, as the Python one did.
const serviceName = "imageworks-model-loader"

func (h *handler) root(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Service string `json:"service"`
		Version string `json:"version"`
	}{serviceName, h.opts.Version})
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	writeRaw(w, http.StatusOK, []byte(`{"status":"ok"}`))
}

func (h *handler) openapi(w http.ResponseWriter, _ *http.Request) {
	writeRaw(w, http.StatusOK, OpenAPI)
}

func (h *handler) promMetrics(w http.ResponseWriter, r *http.Request) {
	h.metrics.ServeHTTP(w, r)
}

// modelRow is one entry of GET /v1/models.
type modelRow struct {
	Name         string          `json:"name"`
	Backend      string          `json:"backend"`
	Capabilities map[string]bool `json:"capabilities"`
	Locked       bool            `json:"locked"`
	VisionOK     *bool           `json:"vision_ok"`
	DisplayName  string          `json:"display_name"`
}

// listModels answers every entry, deprecated ones too, sorted by name. The
// encoded answer is kept until the registry's entries change.
func (h *handler) listModels(w http.ResponseWriter, r *http.Request) {
	body, err := h.models.answer(h.l.Entries(r.Context()))
	if err != nil {
		writeError(w, err, "")
		return
	}
	writeRaw(w, http.StatusOK, body)
}

// answer returns the encoded GET /v1/models answer for entries, encoding
// it when the cache holds another state's. The lock is held only for that:
// a slow client does not hold up the others.
func (c *modelsCache) answer(entries []*registry.Entry) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != nil && slices.Equal(c.entries, entries) {
		return c.body, nil // never changed in place: a new state gets a new body
	}
	rows := make([]modelRow, len(entries))
	for i, e := range entries {
		rows[i] = modelRow{
			Name: e.Name(), Backend: e.Backend(), Capabilities: e.Capabilities(),
			Locked: e.VersionLock().Locked, VisionOK: visionOK(e), DisplayName: e.DisplayName(),
		}
	}
	body, err := encodeJSON(rows)
	if err != nil {
		return nil, err
	}
	c.entries, c.body = entries, body
	return body, nil
}

// visionOK is probes.vision.vision_ok, or nil when there is none.
func visionOK(e *registry.Entry) *bool {
	p, ok := e.LastVisionProbe()
	if !ok {
		return nil
	}
	return &p.VisionOK
}

// selection is POST /v1/select's answer, by name and by role alike: the
// Python service's four fields, the logical name (the entry chosen: for a
// role, or for a name given as an alias, the one a client cannot know),
// and the backend's notes and the live check when one was asked for.
type selection struct {
	LogicalName     string          `json:"logical_name"`
	Endpoint        string          `json:"endpoint"`
	Backend         string          `json:"backend"`
	InternalModelID string          `json:"internal_model_id"`
	Capabilities    map[string]bool `json:"capabilities"`
	Notes           []string        `json:"notes,omitempty"`
	Live            *core.LiveCheck `json:"live,omitempty"`
}

// selectionOf is the answer for sel; live says a live check was asked for.
func selectionOf(sel core.Selection, live bool) selection {
	out := selection{
		LogicalName: sel.LogicalName, Endpoint: sel.Endpoint, Backend: sel.Backend,
		InternalModelID: sel.InternalModelID, Capabilities: sel.Capabilities, Live: sel.Live,
	}
	if live {
		out.Notes = sel.Notes
	}
	return out
}

// selectModel is POST /v1/select: by name ({name, require_capabilities})
// as the Python service, or by role ({role, prefer, require_capabilities});
// "live": true adds a live check. Every failure has its status (see
// status): an unknown name 404, a missing capability 409, a plugin that is
// missing, untrusted or crashed 502, and a model found down or not served
// 503. With a fleet it answers for this host alone, in the Python
// service's shape (and from its cache): the CLI's select and the gateway
// look across hosts.
func (h *handler) selectModel(w http.ResponseWriter, r *http.Request) {
	f := readObject(w, r)
	if f == nil {
		return
	}
	role := f.str("role", false)
	name := f.str("name", role == "")
	require := f.strList("require_capabilities")
	prefer := f.strList("prefer")
	live := f.boolean("live")
	if !valid(w, f) {
		return
	}
	ctx := r.Context()
	if role != "" && f.null("name") {
		sel, err := h.l.SelectRole(ctx, role, core.SelectOptions{Require: require, Prefer: prefer, Live: live, HereOnly: true})
		writeSelection(w, sel, err, "", live)
		return
	}
	e, err := h.l.Entry(ctx, name)
	if err != nil {
		writeError(w, err, name)
		return
	}
	if d := missing(e, name, require); d != "" {
		writeDetail(w, http.StatusConflict, d)
		return
	}
	if !live && h.opts.Epoch != nil {
		h.selectCached(w, r, e, name)
		return
	}
	sel, err := h.l.Select(ctx, name, core.SelectOptions{Live: live, HereOnly: true})
	writeSelection(w, sel, err, name, live)
}

// writeSelection answers a select of name ("" for a role) that returned
// sel and err; live says a live check was asked for.
func writeSelection(w http.ResponseWriter, sel core.Selection, err error, name string, live bool) {
	if err == nil {
		err = sel.LiveProblem()
	}
	if err != nil {
		writeError(w, err, name)
		return
	}
	writeJSON(w, http.StatusOK, selectionOf(sel, live))
}

// missing returns the Python service's 409 detail when entry e (called
// name) lacks capabilities of require, else "". Capabilities are listed
// exactly as the client spelled them.
func missing(e *registry.Entry, name string, require []string) string {
	if len(require) == 0 {
		return ""
	}
	var miss []string
	for _, c := range require {
		if !e.HasCapability(c) {
			miss = append(miss, c)
		}
	}
	if len(miss) == 0 {
		return ""
	}
	return fmt.Sprintf("Model '%s' is missing required capabilities: %s", name, strings.Join(miss, ", "))
}

// selectCached answers a select by name from the select cache, filling it
// on a miss (see Options.Epoch).
func (h *handler) selectCached(w http.ResponseWriter, r *http.Request, e *registry.Entry, name string) {
	epoch := h.opts.Epoch()
	if body, ok := h.selects.get(e, epoch); ok {
		writeRaw(w, http.StatusOK, body)
		return
	}
	sel, err := h.l.Select(r.Context(), name, core.SelectOptions{HereOnly: true})
	if err != nil {
		writeError(w, err, name)
		return
	}
	body, err := encodeJSON(selectionOf(sel, false))
	if err != nil {
		writeError(w, err, name)
		return
	}
	h.selects.put(e, epoch, body)
	writeRaw(w, http.StatusOK, body)
}

// verify is POST /v1/verify {name}: the Python service's answer, with the
// aggregate just computed.
func (h *handler) verify(w http.ResponseWriter, r *http.Request) {
	h.writeNamed(w, r, nil, func(ctx context.Context, l *core.Loader, name string) (any, error) {
		v, err := l.Verify(ctx, name, core.VerifyOptions{})
		return struct {
			Status          string `json:"status"`
			AggregateSHA256 string `json:"aggregate_sha256"`
		}{"ok", v.AggregateSHA256}, err
	})
}

// writeNamed answers a write whose JSON body names an entry: read reads
// the body's other members (may be nil), do makes the change on a writer
// Loader and returns the answer.
func (h *handler) writeNamed(w http.ResponseWriter, r *http.Request, read func(*fields), do func(context.Context, *core.Loader, string) (any, error)) {
	f := readObject(w, r)
	if f == nil {
		return
	}
	name := f.str("name", true)
	if read != nil {
		read(f)
	}
	if !valid(w, f) {
		return
	}
	var out any
	err := h.write(r.Context(), func(l *core.Loader) (err error) {
		out, err = do(r.Context(), l, name)
		return err
	})
	if err != nil {
		writeError(w, err, name)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// noSamples is the metrics answer for an unknown entry or one without
// samples, as the Python service gives it.
const noSamples = `{"rolling_samples":0}`

// modelMetrics is GET /v1/models/{name}/metrics: the entry's stored
// performance summary when it has samples, else {"rolling_samples":0}.
func (h *handler) modelMetrics(w http.ResponseWriter, r *http.Request) {
	e, err := h.l.Entry(r.Context(), r.PathValue("name"))
	if err != nil {
		writeRaw(w, http.StatusOK, []byte(noSamples))
		return
	}
	perf := bytes.TrimSpace(e.Performance())
	var p struct {
		RollingSamples json.Number `json:"rolling_samples"`
	}
	if json.Unmarshal(perf, &p) != nil || p.RollingSamples == "" || p.RollingSamples == "0" {
		writeRaw(w, http.StatusOK, []byte(noSamples))
		return
	}
	writeRaw(w, http.StatusOK, perf)
}

// write runs fn with a Loader for one write (see Options.OpenWriter).
func (h *handler) write(ctx context.Context, fn func(*core.Loader) error) error {
	if h.opts.OpenWriter == nil {
		return fn(h.l)
	}
	l, err := h.opts.OpenWriter(ctx)
	if err != nil {
		return err
	}
	defer l.Close()
	return fn(l)
}
