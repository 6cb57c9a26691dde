// Command bareplugin is the floor the CLI's select is held to: a bare
// go-plugin host and plugin pair, built with the same go-plugin and gRPC
// versions as the loader. Run with no arguments it is the host: it starts
// itself as the plugin over gRPC, makes one call (go-plugin's own health
// service, which every go-plugin gRPC server registers), prints the answer
// and kills the plugin, as go-plugin's examples/grpc host does. Started by
// the host (the magic cookie set), it is the plugin.
//
//	make bench-select    # builds it into bin/bench/ and times it beside select
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/bench/ ./internal/procbench/bareplugin
//	go run ./internal/procbench -n 40 -cmd 'bare=bin/bench/bareplugin' \
//	    -cmd "select=bin/imageworks-loader --registry-dir testdata/imageworks-registry select 'gpt-oss-20b_(MXFP4)'" \
//	    -ratio 'bare/select>=1.0'
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "BAREPLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "bare",
}

// bare is a plugin with no service of its own: go-plugin's health service
// is the one call.
type bare struct{ plugin.NetRPCUnsupportedPlugin }

func (bare) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (bare) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return healthpb.NewHealthClient(c), nil
}

func main() {
	if os.Getenv(handshake.MagicCookieKey) == handshake.MagicCookieValue {
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig: handshake,
			Plugins:         plugin.PluginSet{"bare": bare{}},
			GRPCServer:      plugin.DefaultGRPCServer,
		})
		return
	}
	if err := host(); err != nil {
		fmt.Fprintln(os.Stderr, "bareplugin:", err)
		os.Exit(1)
	}
}

func host() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugin.PluginSet{"bare": bare{}},
		Cmd:              exec.Command(self),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.New(&hclog.LoggerOptions{Output: io.Discard, Level: hclog.Off}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		return err
	}
	raw, err := rpc.Dispense("bare")
	if err != nil {
		return err
	}
	res, err := raw.(healthpb.HealthClient).Check(context.Background(), &healthpb.HealthCheckRequest{Service: plugin.GRPCServiceName})
	if err != nil {
		return err
	}
	fmt.Println(res.GetStatus())
	return nil
}
