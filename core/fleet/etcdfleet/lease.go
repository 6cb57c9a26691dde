package etcdfleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// leaseFor returns the lease to write under, granting one when there is
// none and then writing the kept host value and claims under it again (a
// claim someone else took meanwhile is dropped with a warning). f.mu is
// held.
func (f *Fleet) leaseFor(ctx context.Context) (clientv3.LeaseID, error) {
	if f.closed {
		return 0, errClosed
	}
	id := clientv3.LeaseID(f.live.Load())
	if id != 0 && id == f.written {
		return id, nil
	}
	if id == 0 {
		var err error
		if id, err = f.grant(ctx); err != nil {
			return 0, err
		}
		if f.written != 0 {
			f.log.Warn("fleet lease lost; publishing again under a new lease", "host", f.cfg.HostID, "old", fmt.Sprintf("%x", f.written), "new", fmt.Sprintf("%x", id))
		}
	}
	if err := f.restore(ctx, id); err != nil {
		return 0, err
	}
	f.written = id
	f.revokeOld(ctx, id)
	return id, nil
}

// grant grants a lease of the configured TTL and keeps it alive until
// Close or until etcd lets it go.
func (f *Fleet) grant(ctx context.Context) (clientv3.LeaseID, error) {
	octx, cancel := f.op(ctx)
	defer cancel()
	ttl := int64((f.cfg.TTL + time.Second - 1) / time.Second)
	resp, err := f.cli.Grant(octx, ttl)
	if err != nil {
		return 0, f.wrap(ctx, "granting lease", err)
	}
	id := resp.ID
	f.leases[id] = true
	ch, err := f.cli.KeepAlive(f.bg, id)
	if err != nil {
		return 0, f.wrap(ctx, "keeping lease alive", err)
	}
	f.live.Store(int64(id))
	go func() {
		for range ch { //nolint:revive // draining: each answer renews the lease
		}
		if f.live.CompareAndSwap(int64(id), 0) && f.bg.Err() == nil {
			f.log.Warn("fleet lease expired or out of reach", "host", f.cfg.HostID, "lease", fmt.Sprintf("%x", id))
		}
	}()
	return id, nil
}

// restore writes the kept host value and claims under lease. A host key
// another process holds (a second process of this host id) is left to it:
// Publish reports that conflict, and this process's claims are still its
// own to write.
func (f *Fleet) restore(ctx context.Context, lease clientv3.LeaseID) error {
	if f.hostJSON != nil {
		key := f.key("hosts", f.cfg.HostID)
		_, err := f.putOwned(ctx, key, f.hostJSON, lease)
		switch {
		case err == nil:
			f.published = f.hostStripped
		case errors.Is(err, errNotOwned):
			f.published = nil
		default:
			return err
		}
	}
	for key, val := range f.claims {
		cur, err := f.putOwned(ctx, key, val, lease)
		if errors.Is(err, errNotOwned) {
			delete(f.claims, key)
			f.log.Warn("slot claim taken by another process while out of reach; dropped", "key", key, "holder", string(cur.Value))
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// revokeOld revokes this process's leases other than keep, best effort:
// a lease it cannot revoke expires by itself.
func (f *Fleet) revokeOld(ctx context.Context, keep clientv3.LeaseID) {
	for id := range f.leases {
		if id == keep {
			continue
		}
		octx, cancel := f.op(ctx)
		_, err := f.cli.Revoke(octx, id)
		cancel()
		if err == nil || errors.Is(err, rpctypes.ErrLeaseNotFound) {
			delete(f.leases, id)
		}
	}
}

// errNotOwned is returned by putOwned for a key held under a lease that is
// not this process's.
var errNotOwned = errors.New("held by another process")

// putOwned puts key = val under lease if the key is absent or held under
// one of this process's leases; else it returns errNotOwned and the key's
// current value. A put under a lease etcd no longer has marks the lease
// lost. f.mu is held.
func (f *Fleet) putOwned(ctx context.Context, key string, val []byte, lease clientv3.LeaseID) (*mvccpb.KeyValue, error) {
	octx, cancel := f.op(ctx)
	defer cancel()
	cmp := clientv3.Compare(clientv3.LeaseValue(key), "=", lease)
	for range 4 {
		resp, err := f.cli.Txn(octx).If(cmp).
			Then(clientv3.OpPut(key, string(val), clientv3.WithLease(lease))).
			Else(clientv3.OpGet(key)).Commit()
		if errors.Is(err, rpctypes.ErrLeaseNotFound) {
			f.live.CompareAndSwap(int64(lease), 0)
			delete(f.leases, lease)
		}
		if err != nil {
			return nil, f.wrap(ctx, "writing "+key, err)
		}
		if resp.Succeeded {
			return nil, nil
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		switch {
		case len(kvs) == 0:
			cmp = clientv3.Compare(clientv3.CreateRevision(key), "=", 0)
		case f.leases[clientv3.LeaseID(kvs[0].Lease)]:
			cmp = clientv3.Compare(clientv3.ModRevision(key), "=", kvs[0].ModRevision)
		default:
			return kvs[0], fmt.Errorf("etcd fleet: %s: %w", key, errNotOwned)
		}
	}
	return nil, fmt.Errorf("etcd fleet: writing %s: it kept changing under a concurrent writer", key)
}
