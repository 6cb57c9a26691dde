//go:build unix

package pluginhost

import (
	"context"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

var benchReq = sdk.ResolveRequest{Entry: sdk.Entry{
	Name: "qwen2.5-vl-7b", Backend: "good", ServedModelID: "Qwen/Qwen2.5-VL-7B-Instruct",
	Config:       sdk.BackendConfig{Port: 24001},
	Capabilities: map[string]bool{"vision": true, "text": true},
	Raw:          []byte(`{"name":"qwen2.5-vl-7b","backend":"good","backend_config":{"port":24001}}`),
}}

// BenchmarkResolveWarm is one Resolve round trip through gRPC to a running
// plugin binary (target: under 200µs).
func BenchmarkResolveWarm(b *testing.B) {
	h := newTestHost(b, nil, installPlugins(b, ExecutablePrefix+"good"))
	be, err := h.Backend(context.Background(), "good")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := be.Resolve(ctx, benchReq); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := be.Resolve(ctx, benchReq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkColdStart is a whole plugin lifetime: discovery, launch,
// handshake, Info, one Resolve, and Close.
func BenchmarkColdStart(b *testing.B) {
	benchmarkColdStart(b, nil, "")
}

// BenchmarkColdStartPinned adds the lock-file check (the test binary,
// hashed by the host and again by go-plugin's SecureConfig).
func BenchmarkColdStartPinned(b *testing.B) {
	dir := installPlugins(b, ExecutablePrefix+"good")
	lockPath := b.TempDir() + "/" + PinFileName
	h := newTestHost(b, nil, dir)
	if err := h.WritePinFile(context.Background(), lockPath); err != nil {
		b.Fatal(err)
	}
	benchmarkColdStartIn(b, dir, nil, lockPath)
}

// BenchmarkColdStartMTLS adds AutoMTLS.
func BenchmarkColdStartMTLS(b *testing.B) {
	benchmarkColdStart(b, testEnv{EnvMTLS: "1"}, "")
}

func benchmarkColdStart(b *testing.B, env testEnv, lockPath string) {
	benchmarkColdStartIn(b, installPlugins(b, ExecutablePrefix+"good"), env, lockPath)
}

func benchmarkColdStartIn(b *testing.B, dir string, env testEnv, lockPath string) {
	ctx := context.Background()
	for b.Loop() {
		h := newTestHost(b, env, dir)
		h.opts.PinFile = lockPath
		be, err := h.Backend(ctx, "good")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := be.Resolve(ctx, benchReq); err != nil {
			b.Fatal(err)
		}
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveWarmRaw is BenchmarkResolveWarm without the host's
// wrapper (no deadline, no classification), for comparison.
func BenchmarkResolveWarmRaw(b *testing.B) {
	h := newTestHost(b, nil, installPlugins(b, ExecutablePrefix+"good"))
	inst, err := h.instance(context.Background(), "good")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := inst.backend.Resolve(ctx, benchReq); err != nil {
			b.Fatal(err)
		}
	}
}
