package etcdfleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/imageworks-ai/loader/core/fleet"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func checkName(what, name string) error {
	if name == "" || strings.Contains(name, "\n") {
		return fmt.Errorf("etcd fleet: %s %q: want a non-empty name without newline", what, name)
	}
	return nil
}

// decodePin reads a stored pin; its Revision is the key's mod revision.
func decodePin(kv *mvccpb.KeyValue) (fleet.Pin, error) {
	var p fleet.Pin
	if err := json.Unmarshal(kv.Value, &p); err != nil {
		return fleet.Pin{}, fmt.Errorf("etcd fleet: pin %s: %w", kv.Key, err)
	}
	p.Revision = kv.ModRevision
	return p, nil
}

// Pin returns the pin for name; Revision 0 when the fleet has none.
func (f *Fleet) Pin(ctx context.Context, name string) (fleet.Pin, error) {
	if err := checkName("pin", name); err != nil {
		return fleet.Pin{}, err
	}
	octx, cancel := f.op(ctx)
	defer cancel()
	resp, err := f.cli.Get(octx, f.key("pins", name))
	if err != nil {
		return fleet.Pin{}, f.wrap(ctx, "reading pin "+name, err)
	}
	if len(resp.Kvs) == 0 {
		return fleet.Pin{Name: name}, nil
	}
	return decodePin(resp.Kvs[0])
}

// Pins returns every pin, sorted by name. A pin that does not decode is
// left out with a warning naming its key.
func (f *Fleet) Pins(ctx context.Context) ([]fleet.Pin, error) {
	octx, cancel := f.op(ctx)
	defer cancel()
	resp, err := f.cli.Get(octx, f.key("pins")+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, f.wrap(ctx, "reading pins", err)
	}
	var pins []fleet.Pin
	for _, kv := range resp.Kvs {
		p, err := decodePin(kv)
		if err != nil {
			f.log.Warn("skipping pin", "error", err)
			continue
		}
		pins = append(pins, p)
	}
	sort.Slice(pins, func(i, j int) bool { return pins[i].Name < pins[j].Name })
	return pins, nil
}

// PutPin writes p if the stored pin's mod revision is still p.Revision
// (0: only if there is none). When it is not, it returns a
// *fleet.ConflictError whose Current is the stored *fleet.Pin (nil when the
// pin was deleted).
func (f *Fleet) PutPin(ctx context.Context, p fleet.Pin) (fleet.Pin, error) {
	if err := checkName("pin", p.Name); err != nil {
		return fleet.Pin{}, err
	}
	val, err := json.Marshal(p)
	if err != nil {
		return fleet.Pin{}, fmt.Errorf("etcd fleet: encoding pin %s: %w", p.Name, err)
	}
	key := f.key("pins", p.Name)
	cmp := clientv3.Compare(clientv3.ModRevision(key), "=", p.Revision)
	if p.Revision == 0 {
		cmp = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
	}
	octx, cancel := f.op(ctx)
	defer cancel()
	resp, err := f.cli.Txn(octx).If(cmp).Then(clientv3.OpPut(key, string(val))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return fleet.Pin{}, f.wrap(ctx, "writing pin "+p.Name, err)
	}
	if !resp.Succeeded {
		conflict := &fleet.ConflictError{Key: key}
		if kvs := resp.Responses[0].GetResponseRange().Kvs; len(kvs) > 0 {
			cur, derr := decodePin(kvs[0])
			if derr != nil {
				return fleet.Pin{}, errors.Join(conflict, derr)
			}
			conflict.Current = &cur
		}
		return fleet.Pin{}, conflict
	}
	p.Revision = resp.Header.Revision
	return p, nil
}
