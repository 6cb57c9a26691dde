package etcdfleet

import (
	"context"
	"sync"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// hostCache is the hosts prefix as a publishing process watches it: one
// Get, then a Watch from the revision after it; rebuilt from a new Get
// when the watch is compacted away, cancelled (the member lost its
// leader) or fails.
type hostCache struct {
	mu     sync.Mutex
	hosts  map[string]fleet.Host // by key
	synced bool
}

// snapshot returns the cached hosts, sorted by ID, if the cache is in sync.
func (c *hostCache) snapshot() ([]fleet.Host, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.synced {
		return nil, false
	}
	hosts := make([]fleet.Host, 0, len(c.hosts))
	for _, h := range c.hosts {
		hosts = append(hosts, h)
	}
	sortHosts(hosts)
	return hosts, true
}

func (c *hostCache) setSynced(ok bool) {
	c.mu.Lock()
	c.synced = ok
	c.mu.Unlock()
}

// startCache starts watching the hosts prefix, once. f.mu is held.
func (f *Fleet) startCache() {
	if f.cache.Load() != nil || f.closed {
		return
	}
	c := &hostCache{hosts: map[string]fleet.Host{}}
	f.cache.Store(c)
	go f.watchHosts(c)
}

// watchHosts keeps c in step with the hosts prefix until Close.
func (f *Fleet) watchHosts(c *hostCache) {
	prefix := f.key("hosts") + "/"
	backoff := 100 * time.Millisecond
	for f.bg.Err() == nil {
		rev, ok := f.loadHosts(c, prefix)
		if !ok {
			select {
			case <-f.bg.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, f.cfg.TTL/2)
			continue
		}
		backoff = 100 * time.Millisecond
		f.follow(c, prefix, rev)
		c.setSynced(false)
	}
}

// loadHosts replaces c's content with one Get of prefix and returns its
// revision.
func (f *Fleet) loadHosts(c *hostCache, prefix string) (int64, bool) {
	octx, cancel := f.op(f.bg)
	defer cancel()
	resp, err := f.cli.Get(octx, prefix, clientv3.WithPrefix())
	if err != nil {
		return 0, false
	}
	hosts := map[string]fleet.Host{}
	for _, kv := range resp.Kvs {
		h, err := decodeHost(kv)
		if err != nil {
			f.log.Warn("skipping host", "error", err)
			continue
		}
		hosts[string(kv.Key)] = h
	}
	c.mu.Lock()
	c.hosts, c.synced = hosts, true
	c.mu.Unlock()
	return resp.Header.Revision, true
}

// follow applies the watch of prefix from rev+1 to c until the watch ends.
func (f *Fleet) follow(c *hostCache, prefix string, rev int64) {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(f.bg))
	defer cancel()
	for resp := range f.cli.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1)) {
		if resp.Canceled || resp.CompactRevision != 0 || resp.Err() != nil {
			return
		}
		c.mu.Lock()
		for _, ev := range resp.Events {
			key := string(ev.Kv.Key)
			if ev.Type == clientv3.EventTypeDelete {
				delete(c.hosts, key)
				continue
			}
			h, err := decodeHost(ev.Kv)
			if err != nil {
				f.log.Warn("skipping host", "error", err)
				delete(c.hosts, key)
				continue
			}
			c.hosts[key] = h
		}
		c.mu.Unlock()
	}
}
