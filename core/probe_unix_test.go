//go:build unix

package core

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imageworks-ai/loader/internal/safefile/safefiletest"
)

// A FIFO given as the probe image is refused at once, naming it.
func TestLoadImageRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "image.png")
	safefiletest.MkFIFO(t, fifo)
	err := safefiletest.Within(t, func() error { _, err := loadImage(ProbeOptions{ImagePath: fifo}); return err })
	if !errors.Is(err, ErrNotImage) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("loadImage(FIFO) = %v, want ErrNotImage naming it as a FIFO", err)
	}
}
