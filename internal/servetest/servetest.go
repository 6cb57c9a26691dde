// Package servetest is a backend for the server's tests, run as a real
// plugin binary (the test binary itself, through plugintest.CopySelf and
// ServeIfNamed): Resolve reports the plugin's process id and how many
// Resolve calls it has answered, and waits when the entry asks it to, so
// tests can kill a plugin mid-call and see caching and restarts.
package servetest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// Name is the backend's name: entries say "backend": "servetest".
const Name = "servetest"

// Backend is the test backend. The zero value is ready.
type Backend struct {
	sdk.Unimplemented
	resolves atomic.Int64
}

// New returns a Backend.
func New() *Backend { return &Backend{} }

// Info names the backend.
func (b *Backend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: Name, Version: "1", DefaultPort: 9}, nil
}

// Resolve answers http://127.0.0.1:9/v1 and the entry's served_model_id
// (else its name), with notes "pid=N" and "call=N". An entry field
// "resolve_delay_ms" delays the answer (ctx still ends it).
func (b *Backend) Resolve(ctx context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	n := b.resolves.Add(1)
	var f struct {
		DelayMS int `json:"resolve_delay_ms"`
	}
	_ = json.Unmarshal(req.Entry.Raw, &f)
	if f.DelayMS > 0 {
		select {
		case <-time.After(time.Duration(f.DelayMS) * time.Millisecond):
		case <-ctx.Done():
			return sdk.Resolution{}, ctx.Err()
		}
	}
	id := req.Entry.ServedModelID
	if id == "" {
		id = req.Entry.Name
	}
	res := sdk.Resolution{Endpoint: "http://127.0.0.1:9/v1", InternalModelID: id, Notes: []string{fmt.Sprintf("pid=%d", os.Getpid()), fmt.Sprintf("call=%d", n)}}
	if req.Live {
		res.Live = &sdk.HealthStatus{Up: true, Version: "test", Models: []sdk.ModelStatus{{ID: id, Served: true}}}
	}
	return res, nil
}

// ProbeVision sees the image when the prompt is the challenge's.
func (b *Backend) ProbeVision(_ context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	ok := len(req.Image) > 0 && (len(req.Expect) > 0 || strings.Contains(req.Prompt, "image"))
	return sdk.ProbeResult{VisionOK: ok, ProbeVersion: "servetest/1", StatusCode: 200, Notes: []string{fmt.Sprintf("%d bytes", len(req.Image))}}, nil
}

// Note returns the value of the note "key=value" in notes, or "".
func Note(notes []string, key string) string {
	for _, n := range notes {
		if v, ok := strings.CutPrefix(n, key+"="); ok {
			return v
		}
	}
	return ""
}
