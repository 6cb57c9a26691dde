package standin

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// CountingTransport passes requests to http.DefaultTransport and counts
// them, so a test can see that a backend uses the HTTP client it was given.
type CountingTransport struct{ n atomic.Int64 }

// RoundTrip counts r and sends it.
func (c *CountingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// Count returns how many requests went through c.
func (c *CountingTransport) Count() int64 { return c.n.Load() }

// StepClock returns a clock that moves on by step at every reading, so a
// latency measured with it is a whole number of steps, never zero.
func StepClock(step time.Duration) func() time.Time {
	var readings atomic.Int64
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { return start.Add(time.Duration(readings.Add(1)) * step) }
}

// CheckClientOptions checks a backend's WithHTTPClient and WithClock
// options against s: health must make its requests with the client it is
// given and measure latency with the clock it is given.
func CheckClientOptions(t testing.TB, s *Server, health func(hc *http.Client, now func() time.Time) (sdk.HealthStatus, error)) {
	t.Helper()
	tr := &CountingTransport{}
	const step = 250 * time.Millisecond
	h, err := health(&http.Client{Transport: tr}, StepClock(step))
	if err != nil || !h.Up {
		t.Fatalf("Health() = %+v, %v, want up", h, err)
	}
	if n := tr.Count(); n == 0 || n != int64(len(s.Requests())) {
		t.Errorf("the given client sent %d requests, the server got %d", n, len(s.Requests()))
	}
	if h.LatencyMS < step.Milliseconds() || h.LatencyMS%step.Milliseconds() != 0 {
		t.Errorf("LatencyMS = %d, want whole steps of the given clock (%s)", h.LatencyMS, step)
	}
}
