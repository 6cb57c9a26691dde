// Command ollama-tiny writes the tiny random-weight llama GGUF of package
// ollamatiny, for creating an Ollama model by hand:
//
//	go run ./internal/ollamatiny/cmd/ollama-tiny -o tiny.gguf
//	printf 'FROM ./tiny.gguf\n' > Modelfile && ollama create tiny -f Modelfile
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/imageworks-ai/loader/internal/ollamatiny"
)

func main() { os.Exit(run()) }

func run() int {
	out := flag.String("o", "tiny.gguf", "output GGUF file")
	var o ollamatiny.Options
	flag.IntVar(&o.Layers, "layers", 2, "transformer blocks")
	flag.IntVar(&o.Embd, "embd", 64, "embedding length")
	flag.IntVar(&o.FF, "ff", 128, "feed-forward length")
	flag.IntVar(&o.Heads, "heads", 4, "attention heads")
	flag.IntVar(&o.KVHeads, "kv", 2, "key/value heads")
	flag.IntVar(&o.Context, "ctx", 512, "context length")
	flag.Int64Var(&o.Seed, "seed", 1, "random seed")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ollama-tiny:", err)
		return 1
	}
	n, err := ollamatiny.Write(f, o)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ollama-tiny:", err)
		return 1
	}
	fmt.Printf("%s: %d bytes\n", *out, n)
	return 0
}
