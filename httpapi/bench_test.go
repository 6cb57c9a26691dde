package httpapi

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkSelect is one POST /v1/select on the corpus through the
// handler (in-process backends, the select cache on, as serve runs it),
// without the network.
func BenchmarkSelect(b *testing.B) {
	h, _, _ := corpus(&testing.T{}, Options{Epoch: func() uint64 { return 1 }})
	body := `{"name": "qwen3-vl-8b-instruct_(FP8)"}`
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/select", strings.NewReader(body)))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkModels is one GET /v1/models on the corpus.
func BenchmarkModels(b *testing.B) {
	h, _, _ := corpus(&testing.T{}, Options{})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/models", nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
