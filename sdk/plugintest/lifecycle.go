package plugintest

import (
	"context"
	"fmt"

	"github.com/imageworks-ai/loader/sdk"
)

// callLifecycle makes the lifecycle call named call (sdk.CallServerCommand
// or sdk.CallModelLoading) for entry, pointed at endpoint, and reports
// whether call was one of them. A backend without the interface answers
// as one that does not implement it.
func callLifecycle(ctx context.Context, b sdk.Backend, call string, entry sdk.Entry, endpoint string) (error, bool) {
	switch call {
	case sdk.CallServerCommand:
		r, ok := b.(sdk.ServerRunner)
		if !ok {
			return fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented), true
		}
		entry.Config.ModelPath = "/models/conformance-model"
		cmd, err := r.ServerCommand(ctx, sdk.ServerCommandRequest{Entry: entry, Host: "127.0.0.1", Port: 24001})
		if err == nil && (len(cmd.Argv) == 0 || cmd.Ready.Path == "") {
			err = fmt.Errorf("ServerCommand() = argv %q, ready path %q, want a command and a readiness path", cmd.Argv, cmd.Ready.Path)
		}
		return err, true
	case sdk.CallModelLoading:
		l, ok := b.(sdk.ModelLoader)
		if !ok {
			return fmt.Errorf("%s: %w", call, sdk.ErrNotImplemented), true
		}
		_, err := l.LoadedModels(ctx, sdk.LoadedModelsRequest{Endpoint: endpoint, APIKey: conformanceKey})
		return err, true
	}
	return nil, false
}
