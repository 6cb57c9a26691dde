package pluginhost

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/host"
)

// gracefulStop is how long Close lets a plugin shut down on request before
// its process group is killed.
const gracefulStop = 500 * time.Millisecond

// instance is one running (or attached) plugin.
type instance struct {
	name, path string
	client     *plugin.Client
	rpc        plugin.ClientProtocol
	runner     *groupRunner // nil when attached
	backend    host.Remote
	tail       *stderrTail
	attached   bool

	// ready is closed once Info was checked (nil: checked before the
	// instance was made, as for an attached plugin); then info holds the
	// plugin's Info, or startErr why it was refused.
	ready    chan struct{}
	info     sdk.Info
	startErr error

	closeOnce sync.Once
}

// wait waits until the plugin's Info was checked and returns the start
// error, if any, or ctx's error when ctx ends first.
func (i *instance) wait(ctx context.Context) error {
	if i.ready == nil {
		return nil
	}
	select {
	case <-i.ready:
		return i.startErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refused returns the start error once Info was checked, nil before.
func (i *instance) refused() error {
	if i.ready == nil {
		return nil
	}
	select {
	case <-i.ready:
		return i.startErr
	default:
		return nil
	}
}

// dead reports whether the plugin process has exited.
func (i *instance) dead() bool {
	if i.runner != nil {
		return i.runner.exited()
	}
	return i.client.Exited()
}

// close stops the plugin: a started one is asked to shut down and its
// process group killed after gracefulStop at the latest; an attached one is
// only disconnected. It returns once the process is gone.
func (i *instance) close() {
	i.closeOnce.Do(func() {
		if i.attached {
			closeConn(i.rpc)
			return
		}
		done := make(chan struct{})
		go func() {
			i.client.Kill()
			close(done)
		}()
		t := time.NewTimer(gracefulStop)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			i.runner.kill(killClosed)
			<-done
		}
	})
}

// closeConn closes the gRPC connection of a client without asking the
// plugin to shut down.
func closeConn(rpc plugin.ClientProtocol) {
	if g, ok := rpc.(*plugin.GRPCClient); ok && g.Conn != nil {
		_ = g.Conn.Close()
	}
}

// pluginError returns a *PluginError for this plugin carrying its last
// stderr lines.
func (i *instance) pluginError(err error) *PluginError {
	return &PluginError{Plugin: i.name, Path: i.path, Stderr: i.tail.Lines(), Err: err}
}

// exitError describes how the process ended, for a crash.
func (i *instance) exitError(during string) error {
	if i.runner != nil {
		if st := i.runner.exitState(); st != nil {
			return fmt.Errorf("%w: exited %s (%s)", ErrPluginCrashed, during, st)
		}
	}
	return fmt.Errorf("%w: connection lost %s", ErrPluginCrashed, during)
}
