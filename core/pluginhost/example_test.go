package pluginhost_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/imageworks-ai/loader/core/pluginhost"
	"github.com/imageworks-ai/loader/sdk"
)

// A program's whole use of the host: find and start the vLLM plugin, resolve
// an entry, and make sure Ctrl-C or SIGTERM kills the plugin too.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	h := pluginhost.New(pluginhost.Options{
		Dirs:    []string{"/opt/imageworks/plugins"},
		PinFile: "configs/plugins.lock.json", // pins plugins when it exists
	})
	defer h.Close()
	context.AfterFunc(ctx, func() { _ = h.Close() })

	b, err := h.Backend(ctx, "vllm")
	var pe *pluginhost.PluginError
	switch {
	case errors.Is(err, pluginhost.ErrPluginNotFound):
		fmt.Fprintln(os.Stderr, err) // names the executable and every folder searched
		return
	case errors.As(err, &pe):
		fmt.Fprintln(os.Stderr, err) // one line; pe.Stderr has the plugin's last lines
		return
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		return
	}
	res, err := b.Resolve(ctx, sdk.ResolveRequest{Entry: sdk.Entry{
		Name: "qwen2.5-vl-7b", Backend: "vllm", Config: sdk.BackendConfig{Port: 24001},
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(res.Endpoint)
}
