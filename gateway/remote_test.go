package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imageworks-ai/loader/core/fleet"
)

// hostsFleet is a fleet whose other hosts are hosts; it holds no pins and
// takes every claim.
type hostsFleet struct {
	fleet.Fleet
	hosts []fleet.Host
}

func (f *hostsFleet) Hosts(context.Context) ([]fleet.Host, error) { return f.hosts, nil }
func (f *hostsFleet) Pin(_ context.Context, name string) (fleet.Pin, error) {
	return fleet.Pin{Name: name}, nil
}
func (f *hostsFleet) Claim(context.Context, fleet.SlotClaim) (func(context.Context) error, error) {
	return func(context.Context) error { return nil }, nil
}
func (f *hostsFleet) Close() error { return nil }

// TestForwardsToAnotherHost: a model only another fleet host serves is
// listed by /v1/models with that host, and a chat for it reaches that
// host's server with "model" set to the id it serves, answered with
// X-Imageworks-Host; images for a model other hosts serve without vision
// are 409 capability_mismatch; a model no host serves is still the chat
// proxy's 404.
func TestForwardsToAnotherHost(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[]}`)
	}))
	defer remote.Close()
	fl := &hostsFleet{hosts: []fleet.Host{
		{ID: "b", Models: []fleet.Model{
			{Name: "bonly", Backend: "vllm", Endpoint: remote.URL + "/v1", InternalModelID: "org/bonly", Up: true, Served: true,
				Capabilities: map[string]bool{"vision": true}},
			{Name: "bdown", Backend: "vllm", Endpoint: remote.URL + "/v1", InternalModelID: "org/bdown"},
			{Name: "blind", Backend: "vllm", Endpoint: remote.URL + "/v1", InternalModelID: "org/blind", Up: true, Served: true},
		}},
	}}
	exe := standinExe(t, nil)
	f := newFleetFixture(t, "["+entry("local", freePort(t), exe, "")+"]", "", Options{}, fl)

	resp, err := http.Get(f.srv.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []struct {
			ID         string `json:"id"`
			Extensions struct {
				Host       string   `json:"host"`
				Modalities []string `json:"modalities"`
			} `json:"extensions"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(list.Data) != 3 || list.Data[0].ID != "local" || list.Data[0].Extensions.Host != "" ||
		list.Data[1].ID != "blind" || list.Data[2].ID != "bonly" || list.Data[2].Extensions.Host != "b" || len(list.Data[2].Extensions.Modalities) != 2 {
		t.Errorf("/v1/models = %+v, want local, then blind and bonly of host b (bdown is not served)", list.Data)
	}

	resp, body := f.post("/v1/chat/completions", `{"model": "bonly", "messages": [{"role": "user", "content": "hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get(HeaderHost) != "b" || resp.Header.Get(HeaderServed) != "org/bonly" || resp.Header.Get(HeaderModel) != "bonly" {
		t.Fatalf("chat for bonly: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	mu.Lock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "/v1/chat/completions ") || !strings.Contains(got[0], `"model": "org/bonly"`) {
		t.Errorf("the other host's server got %q, want the chat with model org/bonly", got)
	}
	mu.Unlock()

	img := `{"model": "%s", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]}`
	if resp, body := f.post("/v1/chat/completions", fmt.Sprintf(img, "blind")); resp.StatusCode != 409 || !strings.Contains(string(body), "capability_mismatch") {
		t.Errorf("an image for a model other hosts serve without vision: %d %s, want 409 capability_mismatch", resp.StatusCode, body)
	}
	if resp, body := f.post("/v1/chat/completions", fmt.Sprintf(img, "bonly")); resp.StatusCode != 200 || resp.Header.Get(HeaderHost) != "b" {
		t.Errorf("an image for bonly (vision on host b): %d %s, want 200 from b", resp.StatusCode, body)
	}
	if resp, body := f.post("/v1/chat/completions", `{"model": "bdown", "messages": []}`); resp.StatusCode != 404 || !strings.Contains(string(body), "model_not_found") {
		t.Errorf("chat for a model no host serves: %d %s, want 404 model_not_found", resp.StatusCode, body)
	}
}
