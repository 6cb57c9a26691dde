// Command imageworks-backend-llamacpp is an imageworks-loader backend plugin
// for llama.cpp's server (llama-server), which speaks the OpenAI API on port
// 8080 by default.
//
// It is an example of a third-party plugin: its own module, built only on
// the loader's sdk. Build it under its plugin name and put it where the
// loader looks for plugins:
//
//	go build -o ~/.local/share/imageworks/plugins/imageworks-backend-llamacpp .
//
// Registry entries then select it with "backend": "llamacpp".
package main

import (
	"os"

	"github.com/imageworks-ai/loader/sdk"

	"example.com/imageworks-backend-llamacpp/llamacpp"
)

func main() { os.Exit(sdk.Serve(llamacpp.New())) }
