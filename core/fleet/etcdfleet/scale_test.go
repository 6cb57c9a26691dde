package etcdfleet

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/fleet"
	"github.com/imageworks-ai/loader/core/fleet/fleettest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// scaleModels is how many models each host publishes in BenchmarkScale.
const scaleModels = 200

// refreshPeriod is the assumed period of a host's refresh, for the
// per-minute watch traffic BenchmarkScale reports.
const refreshPeriod = 10 * time.Second

// scaleHost is a host with scaleModels models, filled as a real one is
// (a verified aggregate and a probe on every model).
func scaleHost(id string, round int) fleet.Host {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := fleet.Host{ID: id, Advertise: id + ".fleet.test", Gateway: "http://" + id + ".fleet.test:8080", Serve: "http://" + id + ".fleet.test:8090", Updated: now}
	for e := range 4 {
		ep := fleet.Endpoint{URL: fmt.Sprintf("http://%s.fleet.test:%d", id, 8000+e), Backend: "vllm", Up: true, Checked: now}
		for m := e; m < scaleModels; m += 4 {
			ep.Served = append(ep.Served, fmt.Sprintf("org/model-%03d", m))
		}
		h.Endpoints = append(h.Endpoints, ep)
	}
	for m := range scaleModels {
		name := fmt.Sprintf("org/model-%03d", m)
		h.Models = append(h.Models, fleet.Model{
			Name: name, Backend: "vllm", Endpoint: fmt.Sprintf("http://%s.fleet.test:%d", id, 8000+m%4), InternalModelID: name,
			Capabilities: map[string]bool{"chat": true, "vision": m%2 == 0},
			Roles:        []string{"default"},
			Up:           true, Served: true,
			Verified:   strings.Repeat(fmt.Sprintf("%x", m%16), 64),
			VerifiedAt: now,
			Probe:      &fleet.Probe{Passed: true, At: now},
		})
	}
	// One model's observation changes each round.
	h.Models[round%scaleModels].Up = round%2 == 0
	return h
}

// choose picks the endpoint to send name to: an up endpoint serving it,
// verified first, then by host id. It is the fleet part of a select.
func choose(hosts []fleet.Host, name string) (string, bool) {
	best, bestRank := "", -1
	for _, h := range hosts {
		for _, m := range h.Models {
			if m.Name != name || !m.Up || !m.Served {
				continue
			}
			rank := 1
			if m.Verified != "" {
				rank = 2
			}
			if rank > bestRank {
				best, bestRank = m.Endpoint, rank
			}
		}
	}
	return best, bestRank >= 0
}

// BenchmarkScale measures, on a one-member embedded etcd, for fleets of 2
// to 50 hosts each publishing 200 models:
//
//   - select-get: a fresh process's Dial, Hosts (one Get) and choice of an
//     endpoint for one name, then Close;
//   - select-cache: the same from a publishing process's watched cache;
//   - watch: one refresh round in which every host changes one model;
//     it reports what one host's watch receives per round and per minute
//     at one round per refresh period, and the size of one Host value.
//
// Run: go test -run '^$' -bench BenchmarkScale -benchtime 20x ./core/fleet/etcdfleet
// (IMAGEWORKS_BENCH_ETCD_MEMBERS=3 for a three-member cluster).
func BenchmarkScale(b *testing.B) {
	members := 1
	if v, err := strconv.Atoi(os.Getenv("IMAGEWORKS_BENCH_ETCD_MEMBERS")); err == nil && v > 0 {
		members = v
	}
	for _, n := range []int{2, 5, 10, 20, 50} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) { benchScale(b, n, members) })
	}
}

func benchScale(b *testing.B, n, members int) {
	c := fleettest.StartN(b, members)
	ctx := context.Background()
	var hosts []*Fleet
	for i := range n {
		f, err := Dial(ctx, Config{Endpoints: c.Endpoints(), HostID: fmt.Sprintf("host-%02d", i), TTL: 10 * time.Second})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = f.Close() })
		if err := f.Publish(ctx, scaleHost(f.cfg.HostID, 0)); err != nil {
			b.Fatal(err)
		}
		hosts = append(hosts, f)
	}
	name := fmt.Sprintf("org/model-%03d", scaleModels-1)
	b.Run("select-get", func(b *testing.B) {
		for b.Loop() {
			f, err := Dial(ctx, Config{Endpoints: c.Endpoints(), HostID: "cli"})
			if err != nil {
				b.Fatal(err)
			}
			hs, err := f.Hosts(ctx)
			if err != nil || len(hs) != n {
				b.Fatalf("Hosts() = %d hosts, %v; want %d", len(hs), err, n)
			}
			if _, ok := choose(hs, name); !ok {
				b.Fatalf("no endpoint for %s", name)
			}
			_ = f.Close()
		}
	})
	b.Run("select-cache", func(b *testing.B) {
		for b.Loop() {
			hs, err := hosts[0].Hosts(ctx)
			if err != nil || len(hs) != n {
				b.Fatalf("Hosts() = %d hosts, %v; want %d", len(hs), err, n)
			}
			if _, ok := choose(hs, name); !ok {
				b.Fatalf("no endpoint for %s", name)
			}
		}
	})
	b.Run("watch", func(b *testing.B) { benchWatch(b, c, hosts) })
}

// benchWatch runs refresh rounds and counts what a watch of the hosts
// prefix (as each host's cache has) receives.
func benchWatch(b *testing.B, c *fleettest.Cluster, hosts []*Fleet) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), Logger: zap.NewNop()})
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	wch := cli.Watch(ctx, hosts[0].key("hosts")+"/", clientv3.WithPrefix())
	var events, bytes, round int
	hostBytes := 0
	for b.Loop() {
		round++
		for _, f := range hosts {
			if err := f.Publish(ctx, scaleHost(f.cfg.HostID, round)); err != nil {
				b.Fatal(err)
			}
		}
		for got := 0; got < len(hosts); {
			resp := <-wch
			if err := resp.Err(); err != nil {
				b.Fatal(err)
			}
			for _, ev := range resp.Events {
				got++
				events++
				bytes += len(ev.Kv.Key) + len(ev.Kv.Value)
				hostBytes = len(ev.Kv.Value)
			}
		}
	}
	perRound := float64(bytes) / float64(round)
	b.ReportMetric(float64(events)/float64(round), "events/round")
	b.ReportMetric(perRound/1024, "KiB/round")
	b.ReportMetric(perRound*float64(time.Minute/refreshPeriod)/(1024*1024), "MiB/min/host")
	b.ReportMetric(float64(hostBytes)/1024, "KiB/host-value")
}
