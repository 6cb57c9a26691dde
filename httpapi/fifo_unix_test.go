//go:build unix

package httpapi

import (
	"encoding/json"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A FIFO under the image root is refused at once (400), never waited on.
func TestImageRootFIFO(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.png"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, _, _ := handlerFor(t, writeCurated(t, visionRegistry), Options{ImageRoot: root})
	body, _ := json.Marshal(map[string]string{"name": "eye", "image_path": "pipe.png"})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if code, out := call(t, h, "POST", "/v1/probe/vision", string(body)); code != 400 {
			t.Errorf("probe of a FIFO = %d %s, want 400", code, out)
		}
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("probe of a FIFO under the image root still waiting after 5s")
	}
}
