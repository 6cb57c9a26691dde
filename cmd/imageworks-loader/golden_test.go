package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden compares whole outputs a person reads (help, tables) with
// testdata/golden/*.txt; run with -update to rewrite them after a change
// that is meant.
func TestGolden(t *testing.T) {
	reg := t.TempDir()
	if err := os.CopyFS(reg, os.DirFS(filepath.Join("..", "..", "configs"))); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"--help"}, 0},
		{"select-help", []string{"select", "--help"}, 0},
		{"list-table", []string{"--registry-dir", reg, "--output", "table", "list", "--all"}, 0},
		{"metrics-table", []string{"--registry-dir", reg, "-o", "table", "metrics"}, 0},
		{"metrics-name-table", []string{"--registry-dir", reg, "-o", "table", "metrics", "demo-tiny"}, 0},
		{"list-json", []string{"--registry-dir", reg, "list", "--role", "caption"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
			if code != tt.code {
				t.Fatalf("Main(%q) = %d, want %d; stderr: %s", tt.args, code, tt.code, stderr.String())
			}
			path := filepath.Join("testdata", "golden", tt.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Errorf("Main(%q) output differs from %s:\n--- got ---\n%s--- want ---\n%s", tt.args, path, stdout.String(), want)
			}
		})
	}
}
