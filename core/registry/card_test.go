package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

// TestCardAndProbe: the descriptive fields and the last vision probe read
// as stored; wrong types read as zero values.
func TestCardAndProbe(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[
 {"name": "m", "quantization": "AWQ", "download_format": "safetensors", "download_size_bytes": 4683075271,
  "metadata": {"default_system_prompt": "Be brief."}, "chat_template": {"source": "hf", "path": "/t.jinja"},
  "probes": {"vision": {"vision_ok": false, "timestamp": "2026-01-01T00:00:00Z", "notes": "said blue"}}},
 {"name": "odd", "quantization": 4, "download_size_bytes": "big", "probes": {"vision": {"vision_ok": "yes"}}}
]`)
	r := mustOpen(t, dir, registry.Options{})
	m, _ := r.Get(ctx, "m")
	c := m.Card()
	if c.Quantization != "AWQ" || c.Format != "safetensors" || c.SizeBytes != 4683075271 || c.DefaultSystemPrompt != "Be brief." || c.ChatTemplate != "/t.jinja" {
		t.Errorf("Card() = %+v", c)
	}
	if p, ok := m.LastVisionProbe(); !ok || p.VisionOK || p.Notes != "said blue" {
		t.Errorf("LastVisionProbe() = %+v, %v", p, ok)
	}
	odd, _ := r.Get(ctx, "odd")
	if c := odd.Card(); c != (registry.Card{}) {
		t.Errorf("Card() of wrong types = %+v, want zero", c)
	}
	if _, ok := odd.LastVisionProbe(); ok {
		t.Error("LastVisionProbe() with a non-boolean vision_ok = ok")
	}
}

// TestRecordPerformance: samples fold into running averages, counted in
// rolling_samples, the newest kept as last_sample, on top of what is
// stored.
func TestRecordPerformance(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeFile(t, path(dir, registry.CuratedFile), `[{"name": "m", "backend": "vllm"}]`)
	writeFile(t, path(dir, registry.DiscoveredFile), `[{"name": "m", "performance": {"rolling_samples": 2, "ttft_ms_avg": 100.0, "throughput_toks_per_s_avg": 10.0, "last_sample": null}}]`)
	r := mustOpen(t, dir, registry.Options{})
	update(t, r, "m", func(ed *registry.Edit) error {
		return ed.RecordPerformance([]registry.PerformanceSample{
			{TTFTMS: 40, TokensGenerated: 20, DurationMS: 1000}, // 20 tok/s
		})
	})
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	got := string(readFile(t, path(dir, registry.DiscoveredFile)))
	// avg over 3: 100 + (40-100)/3 = 80; 10 + (20-10)/3 = 13.333
	for _, want := range []string{`"rolling_samples": 3`, `"ttft_ms_avg": 80.0`, `"throughput_toks_per_s_avg": 13.333`, `"tokens_generated": 20`, `"duration_ms": 1000.0`} {
		if !strings.Contains(got, want) {
			t.Errorf("discovered layer lacks %s:\n%s", want, got)
		}
	}
}
