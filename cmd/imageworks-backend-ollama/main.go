// Command imageworks-backend-ollama is the ollama backend plugin of
// imageworks-loader. The loader starts it; run by hand it explains itself.
package main

import (
	"os"

	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/sdk"
)

func main() { os.Exit(sdk.Serve(ollama.New())) }
