//go:build unix

package pluginhost_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/imageworks-ai/loader/core/pluginhost"
)

func ExampleHost_Find() {
	env := map[string]string{"HOME": "/home/ada"}
	h := pluginhost.New(pluginhost.Options{
		Dirs:          []string{"/nonexistent/plugins"},
		Getenv:        func(k string) string { return env[k] },
		ExecutableDir: "/nonexistent/bin",
	})
	_, err := h.Find(context.Background(), "vllm")
	fmt.Println(errors.Is(err, pluginhost.ErrPluginNotFound))
	fmt.Println(err)
	// Output:
	// true
	// plugin imageworks-backend-vllm not found (looked in /nonexistent/plugins, /nonexistent/bin, /home/ada/.local/share/imageworks/plugins; add a folder with --plugin-dir or IMAGEWORKS_PLUGIN_PATH)
}
