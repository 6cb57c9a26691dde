package wire

import (
	"context"
	"io"
)

// Watch is how sdk/plugintest watches a backend that sdk.ServeDebug serves
// in its process: the plugin's log lines go to Log instead of stderr, and
// Begin hears of every call the plugin serves. It travels in ServeDebug's
// context (WithWatch), so that the sdk's exported API stays as it is.
type Watch struct {
	// Log receives the plugin's JSON log lines, as sdk.Serve writes them
	// to stderr. Its level is never above error while watched, so that
	// a recovered panic ("backend panicked", at error level) always shows.
	Log io.Writer
	// Begin, if not nil, is called as the plugin starts serving a call;
	// the function it returns is called once the call's handler has
	// returned, after anything it logged was written to Log.
	Begin func() (end func())
}

type watchKey struct{}

// WithWatch returns ctx carrying w, for sdk.ServeDebug.
func WithWatch(ctx context.Context, w *Watch) context.Context {
	return context.WithValue(ctx, watchKey{}, w)
}

// WatchFrom returns the Watch ctx carries, or nil.
func WatchFrom(ctx context.Context) *Watch {
	w, _ := ctx.Value(watchKey{}).(*Watch)
	return w
}
