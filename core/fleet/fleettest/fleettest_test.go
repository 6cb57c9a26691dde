package fleettest_test

import (
	"context"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/core/fleet/fleettest"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func client(t *testing.T, c *fleettest.Cluster) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func put(t *testing.T, cli *clientv3.Client, k, v string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, k, v); err != nil {
		t.Fatalf("Put(%s) = %v", k, err)
	}
}

func get(t *testing.T, cli *clientv3.Client, k string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := cli.Get(ctx, k)
	if err != nil {
		t.Fatalf("Get(%s) = %v", k, err)
	}
	if len(r.Kvs) == 0 {
		return ""
	}
	return string(r.Kvs[0].Value)
}

func TestStopAllRestartAllKeepsData(t *testing.T) {
	c := fleettest.Start(t)
	cli := client(t, c)
	put(t, cli, "k", "v")
	c.StopAll()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	_, err := cli.Get(ctx, "k")
	cancel()
	if err == nil {
		t.Fatal("Get with every member stopped = nil error, want one")
	}
	c.RestartAll()
	if got := get(t, cli, "k"); got != "v" {
		t.Fatalf("Get(k) after RestartAll = %q, want v", got)
	}
}

func TestThreeMembers(t *testing.T) {
	c := fleettest.StartN(t, 3)
	if len(c.Endpoints()) != 3 {
		t.Fatalf("Endpoints() = %v, want 3", c.Endpoints())
	}
	cli := client(t, c)
	put(t, cli, "a", "1")

	old := c.Leader()
	to := c.ChangeLeader()
	if to == old || c.Leader() != to {
		t.Fatalf("ChangeLeader from %d = %d, Leader() = %d", old, to, c.Leader())
	}
	put(t, cli, "b", "2")

	stopped := c.Leader()
	c.Stop(stopped)
	put(t, cli, "c", "3")
	c.Restart(stopped)
	one, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints()[stopped : stopped+1], Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := one.Get(ctx, "c", clientv3.WithSerializable())
	for err == nil && len(r.Kvs) == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		r, err = one.Get(ctx, "c", clientv3.WithSerializable())
	}
	if err != nil || len(r.Kvs) == 0 || string(r.Kvs[0].Value) != "3" {
		t.Fatalf("restarted member %d: Get(c) = %v, %v; want 3", stopped, r, err)
	}
}

func TestServe(t *testing.T) {
	eps, stop, err := fleettest.Serve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	cli, err := clientv3.New(clientv3.Config{Endpoints: eps, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	put(t, cli, "k", "v")
	stop()
	stop()
}
