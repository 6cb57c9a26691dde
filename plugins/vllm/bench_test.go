package vllm

import (
	"context"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
)

func BenchmarkResolve(b *testing.B) {
	be := New()
	req := sdk.ResolveRequest{Entry: sdk.Entry{Name: "m", ServedModelID: "qwen-vl", Config: sdk.BackendConfig{Host: "gpu", Port: 24001}}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := be.Resolve(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHealth(b *testing.B) {
	s := standin.NewVLLM(standin.Config{Models: []standin.Model{{ID: "qwen-vl", Vision: true}}})
	defer s.Close()
	be := New()
	req := sdk.HealthRequest{Endpoint: s.Endpoint(), Models: []string{"qwen-vl"}}
	ctx := context.Background()
	for b.Loop() {
		if h, err := be.Health(ctx, req); err != nil || !h.Up {
			b.Fatal(h, err)
		}
	}
}

func BenchmarkProbeVision(b *testing.B) {
	s := standin.NewVLLM(standin.Config{Models: []standin.Model{{ID: "qwen-vl", Vision: true, Answer: "red"}}})
	defer s.Close()
	be := New()
	req := sdk.ProbeRequest{Endpoint: s.Endpoint(), ModelID: "qwen-vl", Image: red, MIMEType: "image/png", Expect: []string{"red"}}
	ctx := context.Background()
	for b.Loop() {
		if r, err := be.ProbeVision(ctx, req); err != nil || !r.VisionOK {
			b.Fatal(r, err)
		}
	}
}
