package host_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// blockingServer holds every Resolve until its caller's context ends,
// closing entered when one arrives.
type blockingServer struct {
	pb.UnimplementedBackendServer
	entered chan struct{}
}

func (s *blockingServer) Resolve(ctx context.Context, _ *pb.ResolveRequest) (*pb.ResolveResponse, error) {
	close(s.entered)
	<-ctx.Done()
	return nil, ctx.Err()
}

// dispenseConn serves srv through go-plugin's in-memory connection and
// returns the host-side backend and the client, whose Conn the test closes.
func dispenseConn(t *testing.T, srv pb.BackendServer) (host.Remote, *plugin.GRPCClient) {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		host.PluginName: &wire.GRPCPlugin{Impl: srv},
	})
	t.Cleanup(func() { _ = client.Conn.Close() })
	b, err := host.DispenseRemote(client)
	if err != nil {
		t.Fatal(err)
	}
	return b, client
}

// TestClosedConnIsTransport: a call that the host's side ends by closing
// the connection (go-plugin's Kill of a plugin found dead; gRPC makes up
// a CANCELED status for the calls still waiting for a connection) is a
// lost connection, not the caller's cancellation, whose context is live.
func TestClosedConnIsTransport(t *testing.T) {
	b, client := dispenseConn(t, &blockingServer{entered: make(chan struct{})})
	if err := client.Conn.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := b.Resolve(context.Background(), sdk.ResolveRequest{})
	if !errors.Is(err, host.ErrTransport) || errors.Is(err, context.Canceled) {
		t.Errorf("Resolve() on a closed connection: error = %v, want ErrTransport and not context.Canceled", err)
	}
}

// TestConnClosedMidCallIsTransport: a call in flight when the connection
// is closed fails with ErrTransport.
func TestConnClosedMidCallIsTransport(t *testing.T) {
	srv := &blockingServer{entered: make(chan struct{})}
	b, client := dispenseConn(t, srv)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Resolve(context.Background(), sdk.ResolveRequest{})
		errc <- err
	}()
	<-srv.entered
	if err := client.Conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, host.ErrTransport) || errors.Is(err, context.Canceled) {
		t.Errorf("Resolve() in flight at the close: error = %v, want ErrTransport and not context.Canceled", err)
	}
}

// TestCallerCancelIsCanceled: the caller's own cancellation, before or
// during a call, stays context.Canceled and is no lost connection.
func TestCallerCancelIsCanceled(t *testing.T) {
	t.Run("during", func(t *testing.T) {
		srv := &blockingServer{entered: make(chan struct{})}
		b, _ := dispenseConn(t, srv)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := b.Resolve(ctx, sdk.ResolveRequest{})
			errc <- err
		}()
		<-srv.entered
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) || errors.Is(err, host.ErrTransport) {
			t.Errorf("Resolve() cancelled by its caller: error = %v, want context.Canceled and not ErrTransport", err)
		}
	})
	t.Run("before", func(t *testing.T) {
		b, _ := dispenseConn(t, &blockingServer{entered: make(chan struct{})})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := b.Resolve(ctx, sdk.ResolveRequest{}); !errors.Is(err, context.Canceled) || errors.Is(err, host.ErrTransport) {
			t.Errorf("Resolve() with a cancelled context: error = %v, want context.Canceled and not ErrTransport", err)
		}
	})
}
