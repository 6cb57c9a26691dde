package gateway

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/standin"
)

// BenchmarkProxyChat measures a non-streamed chat through the gateway to
// a server already up (an in-process stand-in vLLM, which the gateway
// finds serving and uses as it is), from parallel clients on kept-alive
// connections; "direct" asks the stand-in itself, the floor. Run with
// -cpu 2 -benchtime 3s on a quiet machine; -cpuprofile shows the
// gateway's share.
func BenchmarkProxyChat(b *testing.B) {
	s := standin.NewVLLM(standin.Config{Models: []standin.Model{{ID: "alpha-served"}}})
	defer s.Close()
	u, err := url.Parse(s.URL)
	if err != nil {
		b.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	f := newFixture(b, "["+entry("alpha", port, "/no/such/vllm", "")+"]", "", Options{})
	for _, tc := range []struct{ name, url, model string }{
		{"direct", s.Endpoint(), "alpha-served"},
		{"gateway", f.srv.URL + "/v1", "alpha"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
			defer hc.CloseIdleConnections()
			body := chat(tc.model)
			post := func() error {
				resp, err := hc.Post(tc.url+"/chat/completions", "application/json", strings.NewReader(body))
				if err != nil {
					return err
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					return &apiError{Code: resp.StatusCode, Message: "answer " + resp.Status}
				}
				return err
			}
			if err := post(); err != nil { // the gateway finds the server up
				b.Fatal(err)
			}
			b.SetParallelism(4) // 4 clients per CPU
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := post(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
