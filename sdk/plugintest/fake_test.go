package plugintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// fake is a small OpenAI-compatible backend for the kit's own tests. Its
// zero value is conformant apart from the name; each field plants one
// defect the kit must find.
type fake struct {
	name string
	// implements replaces the honest Implements list.
	implements []string
	// notImplemented makes these calls answer ErrNotImplemented.
	notImplemented []string
	// keepSlash keeps the trailing slash of base_url.
	keepSlash bool
	// strictRaw refuses entries whose Raw has keys it does not know.
	strictRaw bool
	// ignoreContext makes Health ignore its context.
	ignoreContext bool
	// plainErrors makes ListModels return errors wrapping no sentinel.
	plainErrors bool
	// noVersion leaves Info's version empty.
	noVersion bool
	// alwaysLive makes Resolve check the server even when not asked.
	alwaysLive bool
	// leaksKey puts the API key in Health's notes and ListModels' errors.
	leaksKey bool
	// panics makes ListModels panic (sdk.Serve recovers).
	panics bool
	// crashes makes Health panic in a goroutine of its own, which no one
	// recovers: the process dies with a Go panic trace on stderr.
	crashes bool
	// panicsOnCancel makes Health (and so Resolve's live check) panic a
	// moment after its context was cancelled in flight: sdk.Serve
	// recovers, but the caller is gone and never sees the failed call.
	panicsOnCancel bool
	// liveErrors makes Resolve fail with ErrUnavailable for a down server
	// instead of reporting Live.Up false.
	liveErrors bool
	// noModelStatuses leaves Health's per-model statuses out.
	noModelStatuses bool
}

func (f fake) Info(context.Context) (sdk.Info, error) {
	info := sdk.Info{
		Name:        f.name,
		Version:     "1.0.0",
		DefaultPort: 8080,
		Implements:  []string{sdk.CallArtifacts, sdk.CallHealth, sdk.CallListModels, sdk.CallProbeVision},
	}
	if f.implements != nil {
		info.Implements = f.implements
	}
	if f.noVersion {
		info.Version = ""
	}
	return info, nil
}

func (f fake) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	if f.strictRaw && len(req.Entry.Raw) > 0 {
		d := json.NewDecoder(bytes.NewReader(req.Entry.Raw))
		d.DisallowUnknownFields()
		var known struct {
			Name          string          `json:"name"`
			Backend       string          `json:"backend"`
			ServedModelID string          `json:"served_model_id"`
			BackendConfig json.RawMessage `json:"backend_config"`
			Capabilities  json.RawMessage `json:"capabilities"`
		}
		if err := d.Decode(&known); err != nil {
			return sdk.Resolution{}, fmt.Errorf("entry %q: %w: %w", req.Entry.Name, sdk.ErrBadRequest, err)
		}
	}
	c := req.Entry.Config
	var endpoint string
	switch {
	case strings.TrimSpace(c.BaseURL) != "":
		endpoint = strings.TrimSpace(c.BaseURL)
		if !f.keepSlash {
			endpoint = strings.TrimRight(endpoint, "/")
		}
	case strings.HasPrefix(c.Host, "http://") || strings.HasPrefix(c.Host, "https://"):
		endpoint = strings.TrimRight(c.Host, "/")
	default:
		host, port := c.Host, c.Port
		if host == "" {
			host = "localhost"
		}
		if port == 0 {
			port = 8080
		}
		endpoint = "http://" + host + ":" + strconv.Itoa(port) + "/v1"
	}
	res := sdk.Resolution{Endpoint: endpoint, InternalModelID: req.Entry.ServedModelID}
	if res.InternalModelID == "" {
		res.InternalModelID = req.Entry.Name
	}
	if req.Live || f.alwaysLive {
		h, err := f.Health(ctx, sdk.HealthRequest{Endpoint: endpoint, Models: []string{res.InternalModelID}})
		if err != nil {
			return sdk.Resolution{}, err
		}
		if f.liveErrors && !h.Up {
			return sdk.Resolution{}, fmt.Errorf("%s is down: %w", endpoint, sdk.ErrUnavailable)
		}
		if req.Live {
			res.Live = &h
		}
	}
	return res, nil
}

func (f fake) notImpl(call string) error {
	if slices.Contains(f.notImplemented, call) {
		return fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented)
	}
	return nil
}

func (f fake) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", sdk.ErrBadRequest, err)
	}
	if f.ignoreContext {
		req = req.WithContext(context.Background())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w: %w", url, sdk.ErrUnavailable, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %w", url, resp.StatusCode, sdk.ErrBadResponse)
	}
	return nil
}

func (f fake) Health(ctx context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if err := f.notImpl(sdk.CallHealth); err != nil {
		return sdk.HealthStatus{}, err
	}
	if f.crashes {
		go func() { panic("fake: crashing on purpose") }()
	}
	err := f.get(ctx, strings.TrimSuffix(req.Endpoint, "/v1")+"/health")
	if ctx.Err() != nil && f.panicsOnCancel {
		time.Sleep(300 * time.Millisecond) // the caller is long gone
		panic("fake: Health panics once cancelled")
	}
	if ctx.Err() != nil {
		return sdk.HealthStatus{}, ctx.Err()
	}
	var statuses []sdk.ModelStatus
	if !f.noModelStatuses {
		for _, m := range req.Models {
			statuses = append(statuses, sdk.ModelStatus{ID: m, Served: err == nil})
		}
	}
	if err != nil {
		note := err.Error()
		if f.leaksKey {
			note += " (key " + req.APIKey.Reveal() + ")"
		}
		return sdk.HealthStatus{Up: false, Models: statuses, Notes: []string{note}}, nil
	}
	return sdk.HealthStatus{Up: true, Models: statuses}, nil
}

func (f fake) ListModels(ctx context.Context, req sdk.ListModelsRequest) ([]sdk.ServedModel, error) {
	if err := f.notImpl(sdk.CallListModels); err != nil {
		return nil, err
	}
	if f.panics {
		panic("fake: ListModels panics on purpose")
	}
	if err := f.get(ctx, req.Endpoint+"/models"); err != nil {
		if f.plainErrors {
			return nil, errors.New("listing models failed")
		}
		if f.leaksKey {
			return nil, fmt.Errorf("with key %s: %w", req.APIKey.Reveal(), err)
		}
		return nil, err
	}
	return nil, nil
}

func (f fake) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	if err := f.notImpl(sdk.CallProbeVision); err != nil {
		return sdk.ProbeResult{}, err
	}
	if err := f.get(ctx, req.Endpoint+"/models"); err != nil {
		return sdk.ProbeResult{}, err
	}
	return sdk.ProbeResult{}, nil
}

func (f fake) Artifacts(context.Context, sdk.ArtifactsRequest) (sdk.ArtifactSet, error) {
	if err := f.notImpl(sdk.CallArtifacts); err != nil {
		return sdk.ArtifactSet{}, err
	}
	return sdk.ArtifactSet{Root: "/models"}, nil
}
