// Package fleettest runs embedded etcd clusters for tests: one member
// (Start) or several (StartN), on free loopback ports, with their data in
// the test's temporary directory, quiet logs and short election timeouts,
// so a cluster starts in well under a second and elects a new leader in a
// few hundred milliseconds.
//
// A Cluster can stop and restart its members (keeping their data), tell
// and move the leader, and stop and restart all of them, which is what
// "etcd went away, etcd came back" tests need. Serve runs one member for a
// whole test binary (from a TestMain), for testscript scripts.
package fleettest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Election settings for tests: a heartbeat every 25 ms and an election
// timeout of 250 ms. etcd's smallest lease TTL follows from them
// (1.5 election timeouts, rounded up to whole seconds): 1 s.
const (
	tickMs     = 25
	electionMs = 250
	// readyTimeout bounds how long a member may take to join its cluster.
	readyTimeout = 20 * time.Second
)

// Cluster is a running embedded etcd cluster. Its methods fail the test
// that started it on error; they are safe for concurrent use.
type Cluster struct {
	t       testing.TB // nil for a cluster run by Serve
	mu      sync.Mutex
	members []*member
}

type member struct {
	name string
	dir  string
	// clientURL is what clients use: a proxy to etcdURL, etcd's own
	// client port, so that Stop cuts client connections at once.
	clientURL, etcdURL url.URL
	peerURL            url.URL
	etcd               *embed.Etcd // nil while stopped
	proxy              *proxy
}

// Start runs a one-member cluster until the test ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartN(t, 1)
}

// StartN runs an n-member cluster until the test ends and returns once
// every member is ready and a leader is elected.
func StartN(t testing.TB, n int) *Cluster {
	t.Helper()
	c, err := start(t.TempDir(), n)
	if err != nil {
		t.Fatalf("fleettest: starting %d-member etcd: %v", n, err)
	}
	c.t = t
	t.Cleanup(c.close)
	return c
}

// Serve runs a one-member cluster with its data under dir, for a whole
// test binary: call it from TestMain and hand the endpoints to the
// scripts. stop shuts it down; it is safe to call more than once.
func Serve(dir string) (endpoints []string, stop func(), err error) {
	c, err := start(dir, 1)
	if err != nil {
		return nil, nil, err
	}
	var once sync.Once
	return c.Endpoints(), func() { once.Do(c.close) }, nil
}

// Run runs an n-member cluster with its data under dir, outside any one
// test (a script command, a TestMain): Close stops it. Its methods panic
// on error.
func Run(dir string, n int) (*Cluster, error) { return start(dir, n) }

// Close stops every member of a cluster Run started.
func (c *Cluster) Close() { c.close() }

func start(dir string, n int) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("cluster of %d members: want at least 1", n)
	}
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	for i := range n {
		c.members = append(c.members, &member{
			name:      fmt.Sprintf("m%d", i),
			dir:       filepath.Join(dir, fmt.Sprintf("m%d", i)),
			clientURL: url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[3*i])},
			peerURL:   url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[3*i+1])},
			etcdURL:   url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", ports[3*i+2])},
		})
	}
	if err := c.startMembers(c.members); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// freePorts reserves n distinct loopback ports by listening on them all
// at once, then releases them for etcd to bind.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserving a loopback port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (c *Cluster) initialCluster() string {
	var parts []string
	for _, m := range c.members {
		parts = append(parts, m.name+"="+m.peerURL.String())
	}
	return strings.Join(parts, ",")
}

func (c *Cluster) config(m *member) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = m.name
	cfg.Dir = m.dir
	cfg.ListenClientUrls = []url.URL{m.etcdURL}
	cfg.AdvertiseClientUrls = []url.URL{m.etcdURL}
	cfg.ListenPeerUrls = []url.URL{m.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{m.peerURL}
	cfg.InitialCluster = c.initialCluster()
	cfg.InitialClusterToken = "fleettest"
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.TickMs = tickMs
	cfg.ElectionMs = electionMs
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	return cfg
}

// startMembers starts ms together (a new cluster needs a quorum before any
// member is ready) and waits until each is ready.
func (c *Cluster) startMembers(ms []*member) error {
	for _, m := range ms {
		e, err := embed.StartEtcd(c.config(m))
		if err != nil {
			return fmt.Errorf("starting member %s: %w", m.name, err)
		}
		m.etcd = e
		if m.proxy != nil { // a restart: the port was kept
			m.proxy.resume()
			continue
		}
		p, err := listenProxy(m.clientURL.Host, m.etcdURL.Host)
		if err != nil {
			return fmt.Errorf("member %s: client port: %w", m.name, err)
		}
		m.proxy = p
	}
	deadline := time.After(readyTimeout)
	for _, m := range ms {
		select {
		case <-m.etcd.Server.ReadyNotify():
		case err := <-m.etcd.Err():
			return fmt.Errorf("member %s: %w", m.name, err)
		case <-deadline:
			return fmt.Errorf("member %s not ready after %s", m.name, readyTimeout)
		}
	}
	return nil
}

func (c *Cluster) fail(format string, args ...any) {
	if c.t == nil {
		panic(fmt.Sprintf("fleettest: "+format, args...))
	}
	c.t.Helper()
	c.t.Fatalf("fleettest: "+format, args...)
}

// Endpoints returns every member's client URL, running or not.
func (c *Cluster) Endpoints() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var eps []string
	for _, m := range c.members {
		eps = append(eps, m.clientURL.String())
	}
	return eps
}

// Size returns the number of members, running or not.
func (c *Cluster) Size() int { return len(c.members) }

// Stop stops member i; its data stays for Restart.
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.members[i]
	if m.proxy != nil {
		m.proxy.cut() // the port stays bound, refusing, until Restart
	}
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

// Restart starts the stopped member i again on its data and addresses and
// waits until it is ready (which needs a quorum of running members).
func (c *Cluster) Restart(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.members[i].etcd != nil {
		c.fail("Restart(%d): member is running", i)
	}
	if err := c.startMembers([]*member{c.members[i]}); err != nil {
		c.fail("Restart(%d): %v", i, err)
	}
}

// StopAll stops every member: the fleet is unreachable until RestartAll.
func (c *Cluster) StopAll() {
	for i := range c.members {
		c.Stop(i)
	}
}

// RestartAll starts every stopped member again and waits until all are
// ready.
func (c *Cluster) RestartAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var stopped []*member
	for _, m := range c.members {
		if m.etcd == nil {
			stopped = append(stopped, m)
		}
	}
	if err := c.startMembers(stopped); err != nil {
		c.fail("RestartAll: %v", err)
	}
}

// Leader returns the index of the leader, waiting up to a few seconds for
// the running members to agree on one.
func (c *Cluster) Leader() int {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if i, ok := c.leader(); ok {
			return i
		}
		time.Sleep(tickMs * time.Millisecond)
	}
	c.fail("no leader after %s", readyTimeout)
	return -1
}

// leader returns the leader's index if every running member names the
// same running member as leader.
func (c *Cluster) leader() (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lead uint64
	for _, m := range c.members {
		if m.etcd == nil {
			continue
		}
		l := m.etcd.Server.Lead()
		if l == 0 || (lead != 0 && l != lead) {
			return -1, false
		}
		lead = l
	}
	for i, m := range c.members {
		if m.etcd != nil && uint64(m.etcd.Server.MemberID()) == lead {
			return i, true
		}
	}
	return -1, false
}

// MoveLeader transfers leadership to member to and waits until every
// running member follows it.
func (c *Cluster) MoveLeader(to int) {
	from := c.Leader()
	if from == to {
		return
	}
	c.mu.Lock()
	lead, target := c.members[from].etcd, c.members[to].etcd
	c.mu.Unlock()
	if target == nil {
		c.fail("MoveLeader(%d): member is stopped", to)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	err := lead.Server.MoveLeader(ctx, uint64(lead.Server.MemberID()), uint64(target.Server.MemberID()))
	if err != nil {
		c.fail("MoveLeader(%d): %v", to, err)
	}
	for c.Leader() != to {
		if ctx.Err() != nil {
			c.fail("MoveLeader(%d): %v", to, errors.Join(ctx.Err(), fmt.Errorf("leader is still %d", c.Leader())))
		}
		time.Sleep(tickMs * time.Millisecond)
	}
}

// ChangeLeader moves leadership to the next running member and returns
// its index.
func (c *Cluster) ChangeLeader() int {
	from := c.Leader()
	for k := 1; k < len(c.members); k++ {
		to := (from + k) % len(c.members)
		c.mu.Lock()
		running := c.members[to].etcd != nil
		c.mu.Unlock()
		if running {
			c.MoveLeader(to)
			return to
		}
	}
	c.fail("ChangeLeader: no other running member")
	return -1
}

func (c *Cluster) close() {
	c.StopAll()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.members {
		if m.proxy != nil {
			m.proxy.close()
			m.proxy = nil
		}
	}
}

// Link is a client's own way to member 0: a proxy on a port of its own
// that the test can cut and mend, so one host is cut off from etcd while
// the others stay connected (a network partition of that host).
type Link struct {
	p        *proxy
	endpoint string
}

// Link opens a link to member 0 for one client until the test ends.
func (c *Cluster) Link(t testing.TB) *Link {
	t.Helper()
	ports, err := freePorts(1)
	if err != nil {
		t.Fatalf("fleettest: link: %v", err)
	}
	c.mu.Lock()
	target := c.members[0].clientURL.Host
	c.mu.Unlock()
	addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
	p, err := listenProxy(addr, target)
	if err != nil {
		t.Fatalf("fleettest: link: %v", err)
	}
	t.Cleanup(p.close)
	return &Link{p: p, endpoint: "http://" + addr}
}

// Endpoint is the client URL to dial through the link.
func (l *Link) Endpoint() string { return l.endpoint }

// Cut closes the link's connections and refuses new ones.
func (l *Link) Cut() { l.p.cut() }

// Mend forwards connections again.
func (l *Link) Mend() { l.p.resume() }
