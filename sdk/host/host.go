// Package host is the host side of the backend plugin protocol: the
// handshake and plugin sets a go-plugin client needs, and DispenseRemote,
// which turns a connected client into a Remote, a backend with every call. Only core/pluginhost (and the
// sdk's own conformance kit) import it; plugin authors never do.
//
// Errors of a dispensed backend: a failure the plugin reported wraps the same
// sdk sentinel the plugin's error wrapped (sdk.ErrNotImplemented,
// sdk.ErrModelNotFound, ...) and reads as the plugin's message; a status the
// plugin sent without an ErrorDetail (a plugin in another language) wraps
// the sentinel nearest to its gRPC code (NOT_FOUND is sdk.ErrModelNotFound,
// UNAVAILABLE sdk.ErrUnavailable, ...; see docs/plugin-protocol.md); a
// call its caller cancelled, or that expired, wraps context.Canceled or
// context.DeadlineExceeded; only a failure of the connection itself (the
// plugin crashed or hung up, or the connection was closed under the call:
// no reply at all) wraps ErrTransport.
package host

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/internal/pb"
	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// PluginName is the backend's key in the plugin sets.
const PluginName = wire.PluginName

// Environment variables of the protocol that a host honours or passes on.
const (
	// ReattachEnv names the variable holding the reattach line a plugin
	// prints in debug mode; ParseReattach reads its value.
	ReattachEnv = wire.ReattachEnv
	// LogLevelEnv names the variable that sets a plugin's log level; a host
	// may pass it through to plugins.
	LogLevelEnv = wire.LogLevelEnv
)

// ErrTransport is wrapped by the error of a call that failed in transit
// rather than in the plugin: the plugin crashed, exited or hung up.
var ErrTransport = errors.New("plugin connection failed")

// ErrPanicked is wrapped by the error of a call that failed because the
// plugin's code panicked; the plugin recovered and keeps serving.
var ErrPanicked = errors.New("plugin panicked")

// ErrBadReattach is wrapped by the errors of ParseReattach.
var ErrBadReattach = wire.ErrBadReattach

// Handshake returns the handshake for plugin.ClientConfig: protocol version
// 1 and the magic cookie IMAGEWORKS_PLUGIN_MAGIC_COOKIE with its fixed value.
func Handshake() plugin.HandshakeConfig { return wire.Handshake() }

// PluginSets returns the plugin sets per protocol version, for
// plugin.ClientConfig.VersionedPlugins. Set AllowedProtocols to gRPC only.
//
// go-plugin ignores VersionedPlugins when reattaching: with
// ClientConfig.Reattach set, also set ClientConfig.Plugins to
// PluginSets()[reattach.ProtocolVersion].
func PluginSets() map[int]plugin.PluginSet {
	return wire.PluginSets(nil, func(c pb.BackendClient) any { return &grpcClient{c: c} })
}

// Remote is a plugin as a host sees it: every call, the optional ones
// included. A plugin that does not implement an optional call answers it
// with an error wrapping sdk.ErrNotImplemented; its Info.Implements lists
// those it does implement.
type Remote interface {
	sdk.Backend
	sdk.HealthChecker
	sdk.ModelLister
	sdk.VisionProber
	sdk.ArtifactLister
	sdk.ServerRunner
	sdk.ModelLoader
}

// Dispense is DispenseRemote returning an sdk.Backend. The value is a
// Remote.
//
// Deprecated: since the optional calls are interfaces of their own, an
// sdk.Backend has only Info and Resolve; use DispenseRemote, whose result
// has every call.
func Dispense(c plugin.ClientProtocol) (sdk.Backend, error) {
	r, err := DispenseRemote(c)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DispenseRemote dispenses PluginName from a connected client
// (plugin.Client's Client()) and returns it as a Remote. It fails when
// dispensing fails (wrapped as is) or when the plugin is not a gRPC
// backend.
func DispenseRemote(c plugin.ClientProtocol) (Remote, error) {
	raw, err := c.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispensing plugin %q: %w", PluginName, err)
	}
	switch v := raw.(type) {
	case Remote: // from a client configured with PluginSets
		return v, nil
	case pb.BackendClient: // from a plugin set of the plugin side (go-plugin's test connections)
		return &grpcClient{c: v}, nil
	}
	return nil, fmt.Errorf("dispensing plugin %q: got %T, want a gRPC backend client", PluginName, raw)
}

// ParseReattach parses the value of IMAGEWORKS_REATTACH_BACKENDS, a JSON
// object from backend name to reattach configuration as printed by a plugin
// run with --debug, into plugin.ClientConfig.Reattach values. An empty value
// gives an empty map. Errors wrap ErrBadReattach and name the backend.
// See PluginSets for the plugin set to use with a reattach configuration.
func ParseReattach(value string) (map[string]*plugin.ReattachConfig, error) {
	return wire.ParseReattach(value)
}
