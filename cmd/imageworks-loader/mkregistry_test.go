package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/registrytest"
)

// mkRegistry is the command iwl-mkregistry DIR N: it writes a registry of N
// entries shaped like the corpus into DIR and their names, one a line, into
// DIR/names.txt. Benchmarks run it as a child so that their own process
// never grows (a child's peak RSS starts from its parent's).
func mkRegistry() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: iwl-mkregistry DIR N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err == nil {
		err = registrytest.WriteScaled(os.Args[1], n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "iwl-mkregistry:", err)
		os.Exit(1)
	}
	var recs []struct {
		Name string `json:"name"`
	}
	data, err := os.ReadFile(filepath.Join(os.Args[1], "model_registry.curated.json"))
	if err == nil {
		err = json.Unmarshal(data, &recs)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "iwl-mkregistry:", err)
		os.Exit(1)
	}
	var names strings.Builder
	for _, r := range recs {
		names.WriteString(r.Name + "\n")
	}
	if err := os.WriteFile(filepath.Join(os.Args[1], "names.txt"), []byte(names.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "iwl-mkregistry:", err)
		os.Exit(1)
	}
}
