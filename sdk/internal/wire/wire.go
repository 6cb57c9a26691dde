// Package wire is what the plugin side (sdk.Serve) and the host side
// (sdk/host) of the backend protocol share: the go-plugin handshake, the
// versioned plugin sets and the go-plugin glue around the generated gRPC
// service. It knows nothing of the sdk's Go types, so that package sdk can
// import it.
package wire

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/imageworks-ai/loader/sdk/internal/pb"
)

// PluginName is the key of the backend in every plugin set.
const PluginName = "backend"

// Protocol versions this build speaks, oldest first.
const (
	ProtocolV1 = 1
	// LatestProtocol is the newest protocol version.
	LatestProtocol = ProtocolV1
)

// Environment variables of the protocol.
const (
	// MagicCookieKey is the variable the host sets so that a plugin knows it
	// was started by a host and not by hand.
	MagicCookieKey = "IMAGEWORKS_PLUGIN_MAGIC_COOKIE"
	// MagicCookieValue is the fixed, random value of MagicCookieKey. It is
	// not a secret: it only keeps people from running a plugin by hand.
	MagicCookieValue = "2d8937964a3b5c3a22cad2d97f521f9a56d21e1177944386353c4b35398516a7"
	// ReattachEnv holds the reattach line a plugin prints in debug mode:
	// a JSON object from backend name to reattach configuration.
	ReattachEnv = "IMAGEWORKS_REATTACH_BACKENDS"
	// DebugEnv, when set to 1 or true, makes sdk.Serve start in debug mode.
	DebugEnv = "IMAGEWORKS_PLUGIN_DEBUG"
	// LogLevelEnv sets the plugin's log level (trace, debug, info, warn,
	// error, off); the default is info.
	LogLevelEnv = "IMAGEWORKS_PLUGIN_LOG_LEVEL"
)

// Handshake returns the handshake both sides must agree on. ProtocolVersion
// is the version assumed by a peer that sends no version list.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  ProtocolV1,
		MagicCookieKey:   MagicCookieKey,
		MagicCookieValue: MagicCookieValue,
	}
}

// PluginSets returns the versioned plugin sets. On the plugin side server is
// the implementation to serve and client is nil; on the host side server is
// nil and client makes the host's backend of the gRPC client, which is what
// dispensing the plugin returns.
func PluginSets(server pb.BackendServer, client func(pb.BackendClient) any) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		ProtocolV1: {PluginName: &GRPCPlugin{Impl: server, NewClient: client}},
	}
}

// GRPCPlugin is the go-plugin plugin of protocol 1, gRPC only.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the implementation served; nil on the host side.
	Impl pb.BackendServer
	// NewClient makes what GRPCClient returns from the gRPC client; nil on
	// the plugin side, where GRPCClient returns the gRPC client itself.
	NewClient func(pb.BackendClient) any
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// ErrNoServer is returned when a plugin set without an implementation is
// served.
var ErrNoServer = errors.New("backend plugin has no implementation to serve")

// GRPCServer registers the backend service; it fails with ErrNoServer when
// p.Impl is nil.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return ErrNoServer
	}
	pb.RegisterBackendServer(s, p.Impl)
	return nil
}

// GRPCClient returns p.NewClient of a pb.BackendClient on the connection (the
// client itself when p.NewClient is nil). It never fails.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	client := pb.NewBackendClient(c)
	if p.NewClient == nil {
		return client, nil
	}
	return p.NewClient(client), nil
}
