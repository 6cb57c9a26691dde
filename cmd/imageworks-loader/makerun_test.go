package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// TestMakeRunLeavesTrackedFilesUnchanged runs the Makefile's own run
// target, as a newcomer does, in a git checkout of what it reads (the
// Makefile and configs/), and checks `git status --porcelain` stays empty:
// the bundled registry is never written, even by the commands that write
// (verify). The build step is skipped (make -o build): bin/ holds this test
// binary under the CLI's and the plugins' names, which TestMain runs as
// them, so the test costs no build.
func TestMakeRunLeavesTrackedFilesUnchanged(t *testing.T) {
	// make runs this suite (make test) and the tree is a git checkout:
	// both are there wherever the test runs, so a missing one is a failure.
	for _, tool := range []string{"make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test runs the Makefile's run target in a git checkout: %v", err)
		}
	}
	root := t.TempDir()
	copyFile(t, filepath.Join("..", "..", "Makefile"), filepath.Join(root, "Makefile"))
	if err := os.CopyFS(filepath.Join(root, "configs"), os.DirFS(filepath.Join("..", "..", "configs"))); err != nil {
		t.Fatal(err)
	}
	// What git ignores in the project (bin/, the registry's flock file).
	copyFile(t, filepath.Join("..", "..", ".gitignore"), filepath.Join(root, ".gitignore"))
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"imageworks-loader", "imageworks-backend-vllm", "imageworks-backend-ollama", "imageworks-backend-lmdeploy"} {
		src, err := os.Open(exe)
		if err != nil {
			t.Fatal(err)
		}
		err = safefile.WriteExecutable(filepath.Join(root, "bin", name), src, 0o755)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command("make", "-o", "build", "run")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "IMAGEWORKS_REGISTRY_DIR=", "MAKEFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "demo-tiny") {
		t.Fatalf("make run printed no demo-tiny row; output:\n%s", out)
	}
	if st := git("status", "--porcelain"); st != "" {
		t.Errorf("after make run, git status --porcelain =\n%s\nwant nothing (make run output:\n%s)", st, out)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
