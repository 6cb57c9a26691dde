package sdk_test

import (
	"context"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

func benchResolve(b *testing.B, be sdk.Backend) {
	ctx := context.Background()
	req := sdk.ResolveRequest{Entry: fullEntry()}
	if _, err := be.Resolve(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := be.Resolve(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResolveInProcess is a warm Resolve through both gRPC adapters
// over a local socket, in one process.
func BenchmarkResolveInProcess(b *testing.B) {
	client, _ := plugin.TestPluginGRPCConn(b, false, sdk.PluginSetsOf(testBackend{})[sdk.ProtocolVersion])
	defer client.Close()
	be, err := host.DispenseRemote(client)
	if err != nil {
		b.Fatal(err)
	}
	benchResolve(b, be)
}

// BenchmarkResolveProcess is a warm Resolve to a plugin process started by
// go-plugin, as a host makes it.
func BenchmarkResolveProcess(b *testing.B) {
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  host.Handshake(),
		VersionedPlugins: host.PluginSets(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Cmd:              pluginCmd(),
		Logger:           hclog.NewNullLogger(),
	})
	defer c.Kill()
	rpc, err := c.Client()
	if err != nil {
		b.Fatal(err)
	}
	be, err := host.DispenseRemote(rpc)
	if err != nil {
		b.Fatal(err)
	}
	benchResolve(b, be)
}

// BenchmarkStartInfo starts a plugin process, calls Info and kills it.
func BenchmarkStartInfo(b *testing.B) {
	for b.Loop() {
		c := plugin.NewClient(&plugin.ClientConfig{
			HandshakeConfig:  host.Handshake(),
			VersionedPlugins: host.PluginSets(),
			AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
			Cmd:              pluginCmd(),
			Logger:           hclog.NewNullLogger(),
		})
		rpc, err := c.Client()
		if err != nil {
			b.Fatal(err)
		}
		be, err := host.DispenseRemote(rpc)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := be.Info(context.Background()); err != nil {
			b.Fatal(err)
		}
		c.Kill()
	}
}
