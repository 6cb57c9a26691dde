// Command imageworks-backend-lmdeploy is the lmdeploy backend plugin of
// imageworks-loader. The loader starts it; run by hand it explains itself.
package main

import (
	"os"

	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/sdk"
)

func main() { os.Exit(sdk.Serve(lmdeploy.New())) }
