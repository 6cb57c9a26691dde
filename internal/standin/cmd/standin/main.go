// Command standin serves a stand-in of a vLLM, LMDeploy or Ollama server
// until interrupted, for trying the loader and plugins by hand without a
// GPU:
//
//	go run ./internal/standin/cmd/standin vllm --models qwen-vl --vision qwen-vl
//
// It prints the server's root URL on stdout. Flags are those of
// standin.Main (run it with --help to see them).
//
// It also takes vLLM's and LMDeploy's own command lines, so that an entry
// whose backend_config.executable names it can be activated without a GPU
// (docs/lifecycle.md):
//
//	standin serve MODEL --host H --port P --served-model-name ID
//	standin serve api_server MODEL --server-name H --server-port P --model-name ID
package main

import (
	"os"

	"github.com/imageworks-ai/loader/internal/standin"
)

func main() { os.Exit(standin.Main(os.Args[1:])) }
