package etcdfleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func decodeClaim(kv *mvccpb.KeyValue) (fleet.SlotClaim, error) {
	var c fleet.SlotClaim
	if err := json.Unmarshal(kv.Value, &c); err != nil {
		return fleet.SlotClaim{}, fmt.Errorf("etcd fleet: slot claim %s: %w", kv.Key, err)
	}
	return c, nil
}

// Claim takes slot (c.Host, c.Port) for c.Model under this process's
// lease: the key must be absent or already this process's. c.Host
// defaults to the configured host id and c.At to now. It returns a
// *fleet.ConflictError (Current the holder's *fleet.SlotClaim) when
// another process holds the slot. The claim is written again under a new
// lease after a lease loss, unless someone else took it meanwhile.
func (f *Fleet) Claim(ctx context.Context, c fleet.SlotClaim) (func(context.Context) error, error) {
	if c.Host == "" {
		c.Host = f.cfg.HostID
	}
	if strings.ContainsAny(c.Host, "/\n") || c.Port <= 0 || c.Port > 65535 {
		return nil, fmt.Errorf("etcd fleet: slot claim %s:%d: want a host id without '/' and a port in 1..65535", c.Host, c.Port)
	}
	if c.At.IsZero() {
		c.At = time.Now().UTC()
	}
	val, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("etcd fleet: encoding slot claim: %w", err)
	}
	key := f.key("slots", c.Host, strconv.Itoa(c.Port))
	f.mu.Lock()
	defer f.mu.Unlock()
	for attempt := 0; ; attempt++ {
		err := f.claim(ctx, key, val)
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			continue
		}
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error { return f.release(ctx, key) }, nil
	}
}

func (f *Fleet) claim(ctx context.Context, key string, val []byte) error {
	lease, err := f.leaseFor(ctx)
	if err != nil {
		return err
	}
	cur, err := f.putOwned(ctx, key, val, lease)
	if errors.Is(err, errNotOwned) {
		conflict := &fleet.ConflictError{Key: key}
		if c, derr := decodeClaim(cur); derr == nil {
			conflict.Current = &c
		}
		return conflict
	}
	if err != nil {
		return err
	}
	f.claims[key] = val
	return nil
}

// release deletes the claim at key if this process still holds it.
func (f *Fleet) release(ctx context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.claims, key)
	if f.closed {
		return nil
	}
	if f.written == 0 {
		return nil
	}
	octx, cancel := f.op(ctx)
	defer cancel()
	_, err := f.cli.Txn(octx).If(clientv3.Compare(clientv3.LeaseValue(key), "=", f.written)).
		Then(clientv3.OpDelete(key)).Commit()
	return f.wrap(ctx, "releasing "+key, err)
}

// Claims returns every held slot claim, sorted by host then port. A claim
// that does not decode is left out with a warning naming its key.
func (f *Fleet) Claims(ctx context.Context) ([]fleet.SlotClaim, error) {
	octx, cancel := f.op(ctx)
	defer cancel()
	resp, err := f.cli.Get(octx, f.key("slots")+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, f.wrap(ctx, "reading slot claims", err)
	}
	var claims []fleet.SlotClaim
	for _, kv := range resp.Kvs {
		c, err := decodeClaim(kv)
		if err != nil {
			f.log.Warn("skipping slot claim", "error", err)
			continue
		}
		claims = append(claims, c)
	}
	sort.Slice(claims, func(i, j int) bool {
		if claims[i].Host != claims[j].Host {
			return claims[i].Host < claims[j].Host
		}
		return claims[i].Port < claims[j].Port
	})
	return claims, nil
}
