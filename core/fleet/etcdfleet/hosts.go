package etcdfleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// stripped is h without its refresh timestamps (Updated, and each
// endpoint's Checked), which change on every refresh: Publish compares
// stripped observations to decide whether to write. VerifiedAt and
// Probe.At stay: they change only when a verify or a probe ran.
func stripped(h fleet.Host) fleet.Host {
	h.Updated = time.Time{}
	eps := make([]fleet.Endpoint, len(h.Endpoints))
	for i, e := range h.Endpoints {
		e.Checked = time.Time{}
		eps[i] = e
	}
	h.Endpoints = eps
	return h
}

// Publish writes h as this host's observations under this process's
// lease, but only when they changed, refresh timestamps aside, since the
// last write (or when the key is gone from the watched cache): between
// changes the lease keepalive is what keeps the host listed, so watch
// traffic grows with changes, not with time. h.ID must be empty or the
// configured host id. The first Publish starts the watched hosts cache.
//
// It returns a *fleet.ConflictError (Current a *fleet.Host) when another
// live process publishes the same host id under its own lease, and an
// error wrapping fleet.ErrUnavailable when etcd is out of reach.
func (f *Fleet) Publish(ctx context.Context, h fleet.Host) error {
	if h.ID == "" {
		h.ID = f.cfg.HostID
	}
	if h.ID != f.cfg.HostID {
		return fmt.Errorf("etcd fleet: publishing host %q as host %q", h.ID, f.cfg.HostID)
	}
	full, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("etcd fleet: encoding host %s: %w", h.ID, err)
	}
	strip, err := json.Marshal(stripped(h))
	if err != nil {
		return fmt.Errorf("etcd fleet: encoding host %s: %w", h.ID, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hostJSON, f.hostStripped = full, strip
	for attempt := 0; ; attempt++ {
		err := f.publish(ctx)
		if errors.Is(err, rpctypes.ErrLeaseNotFound) && attempt == 0 {
			continue // the lease expired under us: grant a new one
		}
		if err != nil {
			return err
		}
		f.startCache()
		return nil
	}
}

func (f *Fleet) publish(ctx context.Context) error {
	lease, err := f.leaseFor(ctx)
	if err != nil {
		return err
	}
	key := f.key("hosts", f.cfg.HostID)
	if bytes.Equal(f.published, f.hostStripped) && !f.cacheLacks(key) {
		return nil
	}
	if cur, err := f.putOwned(ctx, key, f.hostJSON, lease); err != nil {
		f.published = nil
		return f.hostConflict(key, cur, err)
	}
	f.published = f.hostStripped
	return nil
}

// hostConflict turns errNotOwned from putOwned on a host key into a
// *fleet.ConflictError holding the other process's host value.
func (f *Fleet) hostConflict(key string, cur *mvccpb.KeyValue, err error) error {
	if !errors.Is(err, errNotOwned) {
		return err
	}
	conflict := &fleet.ConflictError{Key: key, Current: &fleet.Host{ID: f.cfg.HostID}}
	if h, derr := decodeHost(cur); derr == nil {
		conflict.Current = &h
	}
	return conflict
}

// cacheLacks says the watched cache is in sync and has no key: someone
// deleted this host's key, so Publish writes it again.
func (f *Fleet) cacheLacks(key string) bool {
	c := f.cache.Load()
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.hosts[key]
	return c.synced && !ok
}

func decodeHost(kv *mvccpb.KeyValue) (fleet.Host, error) {
	var h fleet.Host
	if err := json.Unmarshal(kv.Value, &h); err != nil {
		return fleet.Host{}, fmt.Errorf("etcd fleet: host %s: %w", kv.Key, err)
	}
	return h, nil
}

// Hosts returns every live host's observations, sorted by ID. A process
// that publishes answers from its watched cache while the cache is in
// sync and its lease is kept alive; otherwise Hosts reads the hosts
// prefix once. A host value that does not decode is left out with a
// warning naming its key.
func (f *Fleet) Hosts(ctx context.Context) ([]fleet.Host, error) {
	if c := f.cache.Load(); c != nil && f.live.Load() != 0 {
		if hosts, ok := c.snapshot(); ok {
			return hosts, nil
		}
	}
	octx, cancel := f.op(ctx)
	defer cancel()
	resp, err := f.cli.Get(octx, f.key("hosts")+"/", clientv3.WithPrefix())
	if err != nil {
		return nil, f.wrap(ctx, "reading hosts", err)
	}
	var hosts []fleet.Host
	for _, kv := range resp.Kvs {
		h, err := decodeHost(kv)
		if err != nil {
			f.log.Warn("skipping host", "error", err)
			continue
		}
		hosts = append(hosts, h)
	}
	sortHosts(hosts)
	return hosts, nil
}

func sortHosts(hosts []fleet.Host) {
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].ID < hosts[j].ID })
}
