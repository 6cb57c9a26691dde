package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/imageworks-ai/loader/core/registry"
)

func TestAddAll(t *testing.T) {
	dir := editDir(t)
	r := mustOpen(t, dir, registry.Options{})
	ctx := context.Background()
	recs := []json.RawMessage{[]byte(`{"name":"n1","backend":"ollama"}`), []byte(`{"name":"n2","backend":"ollama"}`)}
	if err := r.AddAll(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if err := r.Save(ctx); err != nil {
		t.Fatal(err)
	}
	r2 := mustOpen(t, dir, registry.Options{})
	for _, n := range []string{"n1", "n2"} {
		if _, err := r2.Get(ctx, n); err != nil {
			t.Errorf("Get(%s) after AddAll and Save = %v", n, err)
		}
	}
	// All or nothing: a taken name, a name given twice, a bad record.
	for _, bad := range [][]json.RawMessage{
		{[]byte(`{"name":"n3","backend":"x"}`), []byte(`{"name":"n1","backend":"x"}`)},
		{[]byte(`{"name":"n3","backend":"x"}`), []byte(`{"name":"n3","backend":"x"}`)},
		{[]byte(`{"name":"n3","backend":"x"}`), []byte(`{"backend":"x"}`)},
	} {
		err := r2.AddAll(ctx, bad)
		if !errors.Is(err, registry.ErrDuplicate) && !errors.Is(err, registry.ErrInvalidEdit) {
			t.Errorf("AddAll(%s) = %v, want ErrDuplicate or ErrInvalidEdit", bad, err)
		}
		if _, err := r2.Get(ctx, "n3"); err == nil {
			t.Errorf("AddAll(%s) failed but staged n3", bad)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := r2.AddAll(cctx, recs[:1]); !errors.Is(err, context.Canceled) {
		t.Errorf("AddAll(cancelled) = %v, want context.Canceled", err)
	}
}
