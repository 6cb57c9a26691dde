// Package etcdfleet is the etcd implementation of fleet.Fleet.
//
// Keys, under Config.Prefix (default "/imageworks/v1/"):
//
//	pins/<name>              JSON fleet.Pin, no lease; written by compare-and-swap
//	hosts/<host-id>          JSON fleet.Host, under the publishing process's lease
//	slots/<host-id>/<port>   JSON fleet.SlotClaim, under the claiming process's lease
//
// Dial is cheap and never waits for etcd: the client connects lazily, and
// every operation is bounded by Config.OpTimeout. An operation that cannot
// reach etcd in time returns an error wrapping fleet.ErrUnavailable.
// docs/fleet.md describes the leases, the conflicts and the fault
// behaviour.
package etcdfleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/imageworks-ai/loader/core/fleet"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Defaults for the zero fields of Config.
const (
	DefaultTTL       = 10 * time.Second
	DefaultOpTimeout = 1500 * time.Millisecond
	DefaultPrefix    = "/imageworks/v1/"
	// reconnectMax is the longest wait between two connection attempts.
	reconnectMax = 2 * time.Second
)

// Config says which etcd to use and as which host.
type Config struct {
	// Endpoints are etcd's client URLs (at least one).
	Endpoints []string
	// HostID is this host's id; Publish and Claim write under it.
	HostID string
	// TTL is the lease on what this process publishes and claims
	// (whole seconds, at least 1 s); DefaultTTL when zero.
	TTL time.Duration
	// OpTimeout bounds every operation; DefaultOpTimeout when zero.
	OpTimeout time.Duration
	// Prefix is put before every key; DefaultPrefix when empty. It ends
	// in "/".
	Prefix string
	// Logger receives warnings (a lost lease, an undecodable value); nil
	// discards them.
	Logger hclog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Endpoints) == 0 {
		return c, errors.New("etcd fleet: no endpoints")
	}
	if c.HostID == "" || strings.ContainsAny(c.HostID, "/\n") {
		return c, fmt.Errorf("etcd fleet: host id %q: want a non-empty id without '/' or newline", c.HostID)
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.TTL < time.Second {
		return c, fmt.Errorf("etcd fleet: lease TTL %s: want at least 1s", c.TTL)
	}
	if c.OpTimeout <= 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(c.Prefix, "/") {
		c.Prefix += "/"
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return c, nil
}

// Fleet is a fleet.Fleet kept in etcd. It is safe for concurrent use.
type Fleet struct {
	cfg Config
	cli *clientv3.Client
	log hclog.Logger

	// bg is cancelled by Close: it bounds the lease keepalive and the
	// hosts watch.
	bg     context.Context
	stopBg context.CancelFunc

	// live is the lease being kept alive, 0 when there is none (never
	// granted, or its keepalive ended: etcd was out of reach for longer
	// than the TTL, or the lease expired).
	live atomic.Int64
	// cache is the watched hosts prefix, from the first Publish on.
	cache atomic.Pointer[hostCache]

	// mu serializes the writes (Publish, Claim, release, Close) and
	// guards what follows.
	mu sync.Mutex
	// written is the lease that host and claims were last written
	// under; when live differs, they are written again under live.
	written clientv3.LeaseID
	// leases are the leases this process was granted and has not
	// revoked: a key under one of them is this process's to overwrite.
	leases map[clientv3.LeaseID]bool
	// hostJSON is the host value to keep published (nil before the first
	// Publish) and hostStripped the same without its refresh timestamps;
	// published is hostStripped as last written, nil when it must be
	// written again.
	hostJSON, hostStripped, published []byte
	// claims are the held slot claims' values by key.
	claims map[string][]byte
	closed bool
}

var _ fleet.Fleet = (*Fleet)(nil)

// Dial returns a Fleet for cfg without waiting for etcd: the connection
// is made by the first operation. It fails only on a bad Config.
func Dial(ctx context.Context, cfg Config) (*Fleet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Endpoints,
		DialKeepAliveTime:    cfg.TTL / 3,
		DialKeepAliveTimeout: cfg.OpTimeout,
		Logger:               zap.NewNop(),
		// Reconnect within reconnectMax once etcd is back, not after
		// gRPC's default backoff of up to two minutes.
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: reconnectMax},
			MinConnectTimeout: cfg.OpTimeout,
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd fleet %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	bg, stop := context.WithCancel(context.Background())
	return &Fleet{
		cfg:    cfg,
		cli:    cli,
		log:    cfg.Logger,
		bg:     bg,
		stopBg: stop,
		leases: map[clientv3.LeaseID]bool{},
		claims: map[string][]byte{},
	}, nil
}

// op returns a context for one operation: ctx bounded by OpTimeout.
func (f *Fleet) op(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, f.cfg.OpTimeout)
}

// wrap turns an etcd client error into this package's: an error wrapping
// fleet.ErrUnavailable when etcd could not be reached or did not answer in
// time, the caller's context error when the caller gave up, else err.
func (f *Fleet) wrap(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("etcd fleet: %s: %w", what, ctx.Err())
	}
	if unavailable(err) {
		return fmt.Errorf("etcd fleet %s: %s: %w: %w", strings.Join(f.cfg.Endpoints, ","), what, fleet.ErrUnavailable, err)
	}
	return fmt.Errorf("etcd fleet: %s: %w", what, err)
}

// unavailable says err means etcd was not reached or had no quorum.
func unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		errors.Is(err, clientv3.ErrNoAvailableEndpoints) {
		return true
	}
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return retryable(ee.Code())
	}
	if s, ok := status.FromError(err); ok {
		return retryable(s.Code())
	}
	return false
}

func retryable(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted, codes.ResourceExhausted:
		return true
	}
	return false
}

func (f *Fleet) key(parts ...string) string {
	return f.cfg.Prefix + strings.Join(parts, "/")
}

// Close stops the hosts watch, revokes this process's leases (within
// OpTimeout), so what it published and claimed vanishes at once, and
// closes the connection. A lease it cannot revoke expires after its TTL.
func (f *Fleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.live.Store(0)
	f.stopBg()
	var errs []error
	ctx, cancel := f.op(context.Background())
	defer cancel()
	for id := range f.leases {
		_, err := f.cli.Revoke(ctx, id)
		if err != nil && !errors.Is(err, rpctypes.ErrLeaseNotFound) {
			errs = append(errs, f.wrap(ctx, "revoking lease", err))
			break // one bound for all: the others expire by themselves
		}
	}
	errs = append(errs, f.cli.Close())
	return errors.Join(errs...)
}

// errClosed is returned by operations on a closed Fleet.
var errClosed = errors.New("etcd fleet: closed")
