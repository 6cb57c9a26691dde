package host_test

import (
	"context"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/imageworks-ai/loader/sdk/host"
)

// TestGRPCClientIsRemote: go-plugin's GRPCClient of the host's plugin sets
// returns the host's backend itself, not a gRPC client to wrap again.
func TestGRPCClientIsRemote(t *testing.T) {
	conn, err := grpc.NewClient("passthrough:///unused", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for version, set := range host.PluginSets() {
		p, ok := set[host.PluginName].(plugin.GRPCPlugin)
		if !ok {
			t.Fatalf("PluginSets()[%d][%q] = %T, want a plugin.GRPCPlugin", version, host.PluginName, set[host.PluginName])
		}
		raw, err := p.GRPCClient(context.Background(), nil, conn)
		if _, isRemote := raw.(host.Remote); err != nil || !isRemote {
			t.Errorf("protocol %d: GRPCClient() = %T, %v, want a host.Remote", version, raw, err)
		}
	}
}
