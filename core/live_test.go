package core

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
)

// keyedBackend serves every model to callers with the key "good" and
// refuses any other key, echoing it back as some servers do.
type keyedBackend struct{ sdk.Unimplemented }

func (keyedBackend) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: "keyed", Version: "1"}, nil
}

func (keyedBackend) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	return sdk.Resolution{Endpoint: req.Entry.Config.BaseURL, InternalModelID: req.Entry.ServedModelID}, nil
}

func (keyedBackend) Health(_ context.Context, req sdk.HealthRequest) (sdk.HealthStatus, error) {
	if req.APIKey.Reveal() != "good" {
		return sdk.HealthStatus{}, fmt.Errorf("keyed: key %q refused: %w", req.APIKey.Reveal(), sdk.ErrUnauthorized)
	}
	st := sdk.HealthStatus{Up: true, Version: "1"}
	for _, m := range req.Models {
		st.Models = append(st.Models, sdk.ModelStatus{ID: m, Served: true})
	}
	return st, nil
}

func openKeyed(t *testing.T, reg string) *Loader {
	t.Helper()
	dir := writeRegistry(t, reg, "")
	l, err := Open(context.Background(), Options{
		RegistryDir: dir,
		Backends:    map[string]sdk.Backend{"keyed": keyedBackend{}},
		Getenv:      func(k string) string { return map[string]string{"GOOD": "good", "BAD": "bad-key-123"}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestHealthKeysPerEntry(t *testing.T) {
	// The badly keyed entry sorts first, so a per-endpoint key would be its.
	l := openKeyed(t, `[
  {"name": "a-bad", "backend": "keyed", "served_model_id": "m1", "backend_config": {"base_url": "http://h:1/v1", "api_key_env": "BAD"}},
  {"name": "b-good", "backend": "keyed", "served_model_id": "m2", "backend_config": {"base_url": "http://h:1/v1", "api_key_env": "GOOD"}},
  {"name": "c-good", "backend": "keyed", "served_model_id": "m3", "backend_config": {"base_url": "http://h:1/v1", "api_key_env": "GOOD"}}
]`)
	rows, err := l.Health(context.Background())
	if err != nil || len(rows) != 1 {
		t.Fatalf("Health() = %+v, %v, want one row", rows, err)
	}
	r := rows[0]
	if !r.Up || strings.Join(r.Served, ",") != "b-good,c-good" || strings.Join(r.NotServed, ",") != "a-bad" || r.Error != "" {
		t.Errorf("Health() = %+v, want up, b-good and c-good served, a-bad not, no row error", r)
	}
	if len(r.Notes) != 1 || !strings.HasPrefix(r.Notes[0], "a-bad: ") {
		t.Errorf("Health() notes = %q, want one note naming a-bad", r.Notes)
	}
	if strings.Contains(fmt.Sprint(r), "bad-key-123") {
		t.Errorf("Health() = %+v shows the refused key", r)
	}
}

func TestHealthRedactsEndpoint(t *testing.T) {
	l := openKeyed(t, `[
  {"name": "m", "backend": "keyed", "served_model_id": "m", "backend_config": {"base_url": "http://u:pw0rd@h:1/v1?api-version=1&api-key=QKEY", "api_key_env": "GOOD"}}
]`)
	rows, err := l.Health(context.Background())
	if err != nil || len(rows) != 1 {
		t.Fatalf("Health() = %+v, %v, want one row", rows, err)
	}
	if want := "http://u:xxxxx@h:1/v1?api-version=1&api-key=xxxxx"; rows[0].Endpoint != want {
		t.Errorf("Health() endpoint = %q, want %q", rows[0].Endpoint, want)
	}
}
