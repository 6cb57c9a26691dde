package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/imageworks-ai/loader/core"
)

// storedProbe is the part of an entry's probes.vision a table shows.
type storedProbe struct {
	VisionOK     *bool    `json:"vision_ok"`
	Timestamp    string   `json:"timestamp"`
	ProbeVersion string   `json:"probe_version"`
	LatencyMS    *float64 `json:"latency_ms"`
	// Notes is a string, "; "-joined, as the Python tool and probe-vision
	// store it; a list is read too.
	Notes json.RawMessage `json:"notes"`
}

// notes are the stored notes one by one.
func (p *storedProbe) notes() []string {
	var s string
	if json.Unmarshal(p.Notes, &s) == nil {
		if s == "" {
			return nil
		}
		return strings.Split(s, "; ")
	}
	var list []string
	_ = json.Unmarshal(p.Notes, &list) // neither: no notes shown
	return list
}

// storedPerformance is the part of an entry's performance a table shows.
type storedPerformance struct {
	RollingSamples int      `json:"rolling_samples"`
	TTFTMsAvg      *float64 `json:"ttft_ms_avg"`
	TokensPerSAvg  *float64 `json:"throughput_toks_per_s_avg"`
}

// metricsTable is `metrics NAME -o table`: the lock row (hashes short),
// then the stored vision probe and performance, the probe's notes
// wrapped below it. A field stored with another type than the registry
// format says is shown as "-", never an error: metrics only reads.
func metricsTable(w io.Writer, m core.EntryMetrics) {
	row(w, "NAME", "LOCKED", "AGGREGATE_SHA256", "EXPECTED_SHA256", "LOCK_KIND")
	row(w, m.Name, m.Locked, shortHash(m.AggregateSHA256), shortHash(m.ExpectedAggregateSHA256), string(m.LockKind))
	fmt.Fprintln(w)
	var probes struct {
		Vision *storedProbe `json:"vision"`
	}
	_ = json.Unmarshal(m.Probes, &probes) // absent or malformed: no probe shown
	if v := probes.Vision; v != nil {
		ok := "-"
		if v.VisionOK != nil {
			ok = fmt.Sprint(*v.VisionOK)
		}
		parts := []string{"vision_ok " + ok}
		if v.LatencyMS != nil {
			parts = append(parts, fmt.Sprintf("%g ms", *v.LatencyMS))
		}
		if v.Timestamp != "" {
			parts = append(parts, "at "+v.Timestamp)
		}
		if v.ProbeVersion != "" {
			parts = append(parts, "probe "+v.ProbeVersion)
		}
		details(w, "vision probe", strings.Join(parts, ", "))
		details(w, "  notes", v.notes()...)
	} else {
		details(w, "vision probe", "none stored")
	}
	var perf storedPerformance
	if json.Unmarshal(m.Performance, &perf) == nil && perf.RollingSamples > 0 {
		parts := []string{fmt.Sprintf("%d samples", perf.RollingSamples)}
		if perf.TTFTMsAvg != nil {
			parts = append(parts, fmt.Sprintf("time to first token %.0f ms", *perf.TTFTMsAvg))
		}
		if perf.TokensPerSAvg != nil {
			parts = append(parts, fmt.Sprintf("%.1f tokens/s", *perf.TokensPerSAvg))
		}
		details(w, "performance", strings.Join(parts, ", "))
	} else {
		details(w, "performance", "none stored")
	}
}
