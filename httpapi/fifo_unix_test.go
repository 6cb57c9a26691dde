//go:build unix

package httpapi

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

// A FIFO under the image root is refused at once (400), never waited on.
func TestImageRootFIFO(t *testing.T) {
	root := t.TempDir()
	safefiletest.MkFIFO(t, filepath.Join(root, "pipe.png"))
	h, _, _ := handlerFor(t, writeCurated(t, visionRegistry), Options{ImageRoot: root})
	body, _ := json.Marshal(map[string]string{"name": "eye", "image_path": "pipe.png"})
	var code int
	var out []byte
	safefiletest.Within(t, func() error {
		code, out = call(t, h, "POST", "/v1/probe/vision", string(body))
		return nil
	})
	if code != 400 {
		t.Errorf("probe of a FIFO = %d %s, want 400", code, out)
	}
}
