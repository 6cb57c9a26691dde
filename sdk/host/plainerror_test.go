package host_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// plainServer answers every call with a status of code and message msg and
// no ErrorDetail, as a plugin written in another language does.
type plainServer struct {
	pb.UnimplementedBackendServer
	code codes.Code
	msg  string
}

func (s *plainServer) err() error { return status.Error(s.code, s.msg) }

func (s *plainServer) Info(context.Context, *pb.InfoRequest) (*pb.InfoResponse, error) {
	return nil, s.err()
}

func (s *plainServer) Health(context.Context, *pb.HealthRequest) (*pb.HealthStatus, error) {
	return nil, s.err()
}

// dispensePlain serves srv through go-plugin's in-memory connection and
// returns the host-side backend and the server.
func dispensePlain(t *testing.T, srv pb.BackendServer) (host.Remote, *plugin.GRPCServer) {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		host.PluginName: &wire.GRPCPlugin{Impl: srv},
	})
	t.Cleanup(func() { _ = client.Close() })
	b, err := host.DispenseRemote(client)
	if err != nil {
		t.Fatal(err)
	}
	return b, server
}

// TestPlainStatusMapped: a status without an ErrorDetail that the plugin
// sent is the plugin's error, read by its code, never a failed connection.
func TestPlainStatusMapped(t *testing.T) {
	for _, tc := range []struct {
		code codes.Code
		want error // nil: a plain error wrapping no sentinel
	}{
		{codes.NotFound, sdk.ErrModelNotFound},
		{codes.Unauthenticated, sdk.ErrUnauthorized},
		{codes.PermissionDenied, sdk.ErrUnauthorized},
		{codes.Unavailable, sdk.ErrUnavailable},
		{codes.FailedPrecondition, sdk.ErrUnavailable},
		{codes.ResourceExhausted, sdk.ErrUnavailable},
		{codes.InvalidArgument, sdk.ErrBadRequest},
		{codes.OutOfRange, sdk.ErrBadRequest},
		{codes.Aborted, sdk.ErrBadResponse},
		{codes.DataLoss, sdk.ErrBadResponse},
		{codes.Unimplemented, sdk.ErrNotImplemented},
		{codes.Unknown, nil},
		{codes.Internal, nil},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			msg := "python says " + tc.code.String()
			b, _ := dispensePlain(t, &plainServer{code: tc.code, msg: msg})
			_, err := b.Health(context.Background(), sdk.HealthRequest{Endpoint: "http://x/v1"})
			if err == nil || errors.Is(err, host.ErrTransport) {
				t.Fatalf("Health() error = %v, want the plugin's error, not ErrTransport", err)
			}
			if err.Error() != msg {
				t.Errorf("Health() error = %q, want the plugin's message %q", err, msg)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Health() error = %v, want one wrapping %v", err, tc.want)
			}
			for _, other := range []error{sdk.ErrModelNotFound, sdk.ErrUnauthorized, sdk.ErrUnavailable, sdk.ErrBadRequest, sdk.ErrBadResponse, sdk.ErrNotImplemented} {
				if other != tc.want && errors.Is(err, other) {
					t.Errorf("Health() error = %v, wraps %v too", err, other)
				}
			}
		})
	}
}

func TestPlainStatusWithoutMessage(t *testing.T) {
	b, _ := dispensePlain(t, &plainServer{code: codes.NotFound})
	_, err := b.Info(context.Background())
	if !errors.Is(err, sdk.ErrModelNotFound) || err.Error() != "Info: plugin failed (NotFound)" {
		t.Errorf("Info() error = %v, want ErrModelNotFound saying the call and code", err)
	}
}

// TestTransportFailureStaysTransport: with the plugin's server gone, an
// UNAVAILABLE the client makes up is a lost connection, not the plugin's
// ErrUnavailable.
func TestTransportFailureStaysTransport(t *testing.T) {
	b, server := dispensePlain(t, &plainServer{code: codes.NotFound, msg: "m"})
	server.Stop()
	_, err := b.Health(context.Background(), sdk.HealthRequest{})
	if !errors.Is(err, host.ErrTransport) || errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("Health() after the server stopped: error = %v, want ErrTransport and not sdk.ErrUnavailable", err)
	}
}
