package host_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"

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

// headerThenHang sends its response headers for every Resolve, closes sent,
// and answers nothing more until its caller's context ends.
type headerThenHang struct {
	pb.UnimplementedBackendServer
	sent chan struct{}
}

func (s *headerThenHang) Resolve(ctx context.Context, _ *pb.ResolveRequest) (*pb.ResolveResponse, error) {
	if err := grpc.SendHeader(ctx, metadata.MD{}); err != nil {
		return nil, err
	}
	close(s.sent)
	<-ctx.Done()
	return nil, ctx.Err()
}

// headerSeen closes got when the client has read a call's response headers.
type headerSeen struct {
	got  chan struct{}
	once sync.Once
}

func (h *headerSeen) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (h *headerSeen) HandleRPC(_ context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.InHeader); ok {
		h.once.Do(func() { close(h.got) })
	}
}
func (h *headerSeen) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *headerSeen) HandleConn(context.Context, stats.ConnStats) {}

// TestDiedAfterHeadersIsTransport: a plugin that dies after its response
// headers went out but before its status sent no status: the UNAVAILABLE
// the client makes up is a lost connection, not the plugin's
// sdk.ErrUnavailable.
func TestDiedAfterHeadersIsTransport(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &headerThenHang{sent: make(chan struct{})}
	server := grpc.NewServer()
	pb.RegisterBackendServer(server, srv)
	go func() { _ = server.Serve(lis) }()
	defer server.Stop()
	seen := &headerSeen{got: make(chan struct{})}
	conn, err := grpc.NewClient("passthrough:///"+lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithStatsHandler(seen))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	raw, err := host.PluginSets()[1][host.PluginName].(plugin.GRPCPlugin).GRPCClient(context.Background(), nil, conn)
	if err != nil {
		t.Fatal(err)
	}
	b := raw.(host.Remote)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Resolve(context.Background(), sdk.ResolveRequest{})
		errc <- err
	}()
	<-seen.got
	server.Stop() // the plugin's connection ends with no status sent
	if err := <-errc; !errors.Is(err, host.ErrTransport) || errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("Resolve() of a plugin gone after its headers: error = %v, want ErrTransport and not sdk.ErrUnavailable", err)
	}
}

// headerThenStatus sends its response headers, then fails with code.
type headerThenStatus struct {
	pb.UnimplementedBackendServer
	code codes.Code
}

func (s *headerThenStatus) Resolve(ctx context.Context, _ *pb.ResolveRequest) (*pb.ResolveResponse, error) {
	if err := grpc.SendHeader(ctx, metadata.MD{}); err != nil {
		return nil, err
	}
	return nil, status.Error(s.code, "python says no")
}

// TestStatusAfterHeadersIsPlugins: a status of another code that the
// plugin sends after its headers is still the plugin's error.
func TestStatusAfterHeadersIsPlugins(t *testing.T) {
	b, _ := dispensePlain(t, &headerThenStatus{code: codes.NotFound})
	_, err := b.Resolve(context.Background(), sdk.ResolveRequest{})
	if !errors.Is(err, sdk.ErrModelNotFound) || errors.Is(err, host.ErrTransport) || err.Error() != "python says no" {
		t.Errorf("Resolve() error = %v, want the plugin's ErrModelNotFound", err)
	}
}
