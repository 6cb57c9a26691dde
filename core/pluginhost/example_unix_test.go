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

func ExampleParseFileName() {
	for _, file := range []string{
		"/opt/plugins/imageworks-backend-vllm",
		"imageworks-backend-llama-cpp_v0.4.1-rc.2",
		"imageworks-backend-Vllm",
	} {
		name, version, ok := pluginhost.ParseFileName(file)
		fmt.Printf("%q %q %v\n", name, version, ok)
	}
	// Output:
	// "vllm" "" true
	// "llama-cpp" "0.4.1-rc.2" true
	// "" "" false
}
