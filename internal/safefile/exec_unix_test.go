//go:build unix

package safefile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// TestWriteExecutableNoTextFileBusy writes and runs scripts while other
// goroutines keep forking: run at once after an os.WriteFile, a script
// now and then fails with "text file busy", inherited by a child forked
// while it was open for writing; after WriteExecutable it never does.
func TestWriteExecutableNoTextFileBusy(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				_ = exec.Command(sh, "-c", ":").Run()
			}
		})
	}
	defer func() { cancel(); wg.Wait() }()

	dir := t.TempDir()
	script := []byte("#!/bin/sh\nexit 0\n")
	for i := range 100 { // os.WriteFile fails within 30 here
		path := filepath.Join(dir, "script")
		_ = os.Remove(path)
		if err := WriteExecutable(path, bytes.NewReader(script), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := exec.Command(path).Run(); err != nil {
			t.Fatalf("run %d: %v (text file busy: %v)", i, err, errors.Is(err, syscall.ETXTBSY))
		}
	}
	fi, err := os.Stat(filepath.Join(dir, "script"))
	if err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("Stat = %v, %v, want mode 0755", fi, err)
	}
}
