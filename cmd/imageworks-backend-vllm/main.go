// Command imageworks-backend-vllm is the vllm backend plugin of
// imageworks-loader. The loader starts it; run by hand it explains itself.
package main

import (
	"os"

	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

func main() { os.Exit(sdk.Serve(vllm.New())) }
