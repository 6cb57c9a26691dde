package pluginhost

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

func TestScrubbed(t *testing.T) {
	const key, qkey = "sk-live-KEY", "Q-KEY"
	secrets := callSecrets(key, "http://h/v1?api-key="+qkey)
	hs := sdk.HealthStatus{
		Up: true, Version: "echo " + key,
		Notes:  []string{"server said: Authorization: Bearer " + key, "query was api-key=" + qkey},
		Models: []sdk.ModelStatus{{ID: "m-" + key}},
	}
	cause := fmt.Errorf("vllm: health: 401 Bearer %s at http://u:pw@h/v1?api-key=%s: %w", key, qkey, sdk.ErrUnauthorized)
	got, err := scrubbed(secrets, hs, cause)
	all := fmt.Sprintf("%+v %v", got, err)
	for _, s := range []string{key, qkey, ":pw@"} {
		if strings.Contains(all, s) {
			t.Errorf("scrubbed() = %s, still shows %q", all, s)
		}
	}
	if !errors.Is(err, sdk.ErrUnauthorized) || !errors.Is(err, cause) {
		t.Errorf("scrubbed() error = %v, want it to still wrap the cause", err)
	}
	if !got.Up || got.Notes[0] != "server said: Authorization: Bearer xxxxx" {
		t.Errorf("scrubbed() = %+v, want the rest kept", got)
	}
	models, _ := scrubbed(secrets, []sdk.ServedModel{{ID: key, Capabilities: map[string]bool{"vision": true}}}, nil)
	if models[0].ID != sdk.Masked || !models[0].Capabilities["vision"] {
		t.Errorf("scrubbed(models) = %+v", models)
	}
	res, _ := scrubbed(secrets, sdk.ProbeResult{Excerpt: "I see " + key, Notes: []string{"ok"}}, nil)
	if strings.Contains(res.Excerpt, key) {
		t.Errorf("scrubbed(probe) excerpt = %q", res.Excerpt)
	}
	if plain := errors.New("no secret"); func() error { _, e := scrubbed(secrets, 0, plain); return e }() != plain {
		t.Errorf("scrubbed() replaced an error with nothing to hide")
	}
}
