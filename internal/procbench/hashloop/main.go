// Command hashloop is the floor verify's CPU time is held to: a plain Go
// read-and-hash loop, one file after another, 1 MiB reads into
// crypto/sha256, printing sha256sum-style lines.
//
//	CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o bin/bench/ ./internal/procbench/hashloop
//	bin/bench/hashloop FILE...
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

func main() {
	buf := make([]byte, 1<<20)
	for _, path := range os.Args[1:] {
		sum, err := hashFile(path, buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hashloop:", err)
			os.Exit(1)
		}
		fmt.Printf("%s  %s\n", sum, path)
	}
}

func hashFile(path string, buf []byte) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, onlyReader{f}, buf); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// onlyReader hides the file's WriterTo, so that the copy reads through buf.
type onlyReader struct{ io.Reader }
