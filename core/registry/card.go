package registry

import (
	"math"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
)

// Card is what a client is told about a model beyond how to reach it: the
// descriptive fields an OpenAI-compatible model listing shows. A field
// missing, null or of another type reads as its zero value.
type Card struct {
	// Quantization is quantization ("" when none).
	Quantization string
	// Format is download_format ("safetensors", "gguf", ...).
	Format string
	// SizeBytes is download_size_bytes.
	SizeBytes int64
	// DefaultSystemPrompt is metadata.default_system_prompt: the system
	// message a chat without one is given.
	DefaultSystemPrompt string
	// ChatTemplate is chat_template.path, else chat_template.source: the
	// template the server is told to use ("" when none is named).
	ChatTemplate string
}

// Card returns the entry's descriptive fields.
func (e *Entry) Card() Card {
	c := Card{
		Quantization:        e.get(keyQuantization).Str(),
		Format:              e.get(keyDownloadFormat).Str(),
		DefaultSystemPrompt: e.get(keyMetadata, "default_system_prompt").Str(),
		ChatTemplate:        e.get(keyChatTemplate, "path").Str(),
	}
	if v := e.get(keyDownloadSizeBytes); v.Kind() == doc.Integer && v.Int() > 0 {
		c.SizeBytes = int64(v.Int())
	}
	if c.ChatTemplate == "" {
		c.ChatTemplate = e.get(keyChatTemplate, "source").Str()
	}
	return c
}

// LastVisionProbe returns the record the last vision probe left at
// probes.vision, and false when there is none (absent, null, or not an
// object with a boolean vision_ok).
func (e *Entry) LastVisionProbe() (VisionProbe, bool) {
	v := e.get(keyProbes, "vision")
	if v.Get("vision_ok").Kind() != doc.Bool {
		return VisionProbe{}, false
	}
	return VisionProbe{VisionOK: v.Get("vision_ok").Bool(), Timestamp: v.Get("timestamp").Str(), Notes: v.Get("notes").Str()}, true
}

// PerformanceSample is one measured request, as the reference's
// performance.last_sample records it.
type PerformanceSample struct {
	// TTFTMS is the time to the first token (the first streamed chunk, or
	// the whole answer when not streamed), in milliseconds.
	TTFTMS float64 `json:"ttft_ms"`
	// TokensGenerated is how many tokens the answer had.
	TokensGenerated int64 `json:"tokens_generated"`
	// DurationMS is the whole request's time, in milliseconds.
	DurationMS float64 `json:"duration_ms"`
}

// Throughput is the sample's tokens per second over its duration, 0 when
// it has no duration or no tokens.
func (s PerformanceSample) Throughput() float64 {
	if s.DurationMS <= 0 || s.TokensGenerated <= 0 {
		return 0
	}
	return float64(s.TokensGenerated) / (s.DurationMS / 1000)
}

// Performance is the typed view of performance.
type Performance struct {
	RollingSamples      int64              `json:"rolling_samples"`
	TTFTMSAvg           *float64           `json:"ttft_ms_avg"`
	ThroughputTokensAvg *float64           `json:"throughput_toks_per_s_avg"`
	LastSample          *PerformanceSample `json:"last_sample"`
}

// PerformanceWindow bounds the running averages: past this many samples
// each new one weighs 1/PerformanceWindow, so the averages follow a
// model's current speed rather than its whole history.
const PerformanceWindow = 100

// RecordPerformance folds samples, oldest first, into the entry's
// performance block: rolling_samples counts them, ttft_ms_avg and
// throughput_toks_per_s_avg are running averages over the last
// PerformanceWindow or so, last_sample is the newest. The block is
// re-read from the entry as it stands when the edit is made, so a
// replayed save folds into what another process stored. Errors are those
// of Set.
func (ed *Edit) RecordPerformance(samples []PerformanceSample) error {
	if len(samples) == 0 {
		return nil
	}
	p := ed.Entry().performance()
	ttft, tput := 0.0, 0.0
	if p.TTFTMSAvg != nil {
		ttft = *p.TTFTMSAvg
	}
	if p.ThroughputTokensAvg != nil {
		tput = *p.ThroughputTokensAvg
	}
	n := p.RollingSamples
	for _, s := range samples {
		n++
		w := float64(min(n, PerformanceWindow))
		ttft += (s.TTFTMS - ttft) / w
		tput += (s.Throughput() - tput) / w
	}
	last := samples[len(samples)-1]
	last.TTFTMS, last.DurationMS = round3(last.TTFTMS), round3(last.DurationMS)
	ttft, tput = round3(ttft), round3(tput)
	return ed.Set(Performance{RollingSamples: n, TTFTMSAvg: &ttft, ThroughputTokensAvg: &tput, LastSample: &last}, keyPerformance)
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// performance reads the entry's performance block; members missing or of
// another type read as zero.
func (e *Entry) performance() Performance {
	var p Performance
	v := e.get(keyPerformance)
	if n := v.Get("rolling_samples"); n.Kind() == doc.Integer && n.Int() > 0 {
		p.RollingSamples = int64(n.Int())
	}
	for key, dst := range map[string]**float64{"ttft_ms_avg": &p.TTFTMSAvg, "throughput_toks_per_s_avg": &p.ThroughputTokensAvg} {
		if f, ok := v.Get(key).Float(); ok {
			*dst = &f
		}
	}
	return p
}
