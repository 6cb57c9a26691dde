package sdk

import (
	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// PluginSetsOf returns the plugin-side plugin sets serving b, for tests that
// connect the adapters with plugin.TestPluginGRPCConn.
func PluginSetsOf(b Backend) map[int]plugin.PluginSet {
	return wire.PluginSets(newGRPCServer(b, nil), nil)
}

// ServeWith runs Serve with the given arguments, environment and outputs.
var ServeWith = func(b Backend, args []string, getenv func(string) string, stdout, stderr interface{ Write([]byte) (int, error) }) int {
	return serve(b, serveEnv{prog: "imageworks-backend-testbe", args: args, getenv: getenv, stdout: stdout, stderr: stderr})
}
