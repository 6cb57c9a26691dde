// Command imageworks-loader reads and updates a layered model registry,
// tells clients how to reach each model, verifies model files against
// version locks and probes vision models. Run it with --help for the
// commands.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
