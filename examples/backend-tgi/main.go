// Command imageworks-backend-tgi is a complete imageworks-loader backend
// plugin for Hugging Face Text Generation Inference (TGI).
package main

import (
	"os"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// New returns the TGI backend: the launcher's default port 3000, up when
// GET /health answers 200, and one model, which GET /info names in
// "model_id" and which answers to any model id.
func New() *openai.Backend {
	return openai.NewBackend("tgi", "0.1.0", 3000,
		openai.WithHealthRoute("/health"),
		openai.WithSingleModel("/info", "model_id"),
	)
}

func main() { os.Exit(sdk.Serve(New())) }
