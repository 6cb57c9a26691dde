// Command embed shows imageworks-loader used as a library: it opens a
// registry and resolves every model through in-process backends, so no
// plugin binary is needed.
//
//	go run ./examples/embed configs
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

func main() {
	dir := "configs"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(context.Background(), dir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

// run resolves every non-deprecated model of the registry in dir and writes
// one JSON line per model.
func run(ctx context.Context, dir string, w io.Writer) error {
	l, err := core.Open(ctx, core.Options{
		RegistryDir: dir,
		Backends: map[string]sdk.Backend{
			"vllm":     vllm.New(),
			"ollama":   ollama.New(),
			"lmdeploy": lmdeploy.New(),
		},
	})
	if err != nil {
		return err
	}
	defer l.Close()
	enc := json.NewEncoder(w)
	for _, row := range l.List(ctx, core.ListOptions{}) {
		sel, err := l.Select(ctx, row.Name, core.SelectOptions{})
		if err != nil {
			return err
		}
		if err := enc.Encode(sel); err != nil {
			return err
		}
	}
	return nil
}
