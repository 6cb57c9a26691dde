package openai

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

func TestCallContext(t *testing.T) {
	base := context.Background()
	withDeadline, cancel := context.WithTimeout(base, time.Hour)
	defer cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		d, def time.Duration
		want   time.Duration // 0: no deadline
	}{
		{"request timeout wins", withDeadline, time.Second, time.Minute, time.Second},
		{"default when none", base, 0, time.Minute, time.Minute},
		{"caller deadline kept", withDeadline, 0, time.Minute, time.Hour},
		{"no default, no deadline", base, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := CallContext(tt.ctx, tt.d, tt.def)
			defer cancel()
			dl, ok := ctx.Deadline()
			if tt.want == 0 {
				if ok {
					t.Errorf("CallContext(%v, %v) deadline = %v, want none", tt.d, tt.def, dl)
				}
				return
			}
			if left := time.Until(dl); !ok || left > tt.want || left < tt.want-5*time.Second {
				t.Errorf("CallContext(%v, %v) leaves %v, want about %v", tt.d, tt.def, left, tt.want)
			}
		})
	}
}

func TestImageType(t *testing.T) {
	png := whitePNG(t)
	tests := []struct {
		name string
		data []byte
		mime string
		want string
		err  error
	}{
		{"given", png, "image/png", "image/png", nil},
		{"sniffed", png, "", "image/png", nil},
		{"non-image type sniffed", png, "application/octet-stream", "image/png", nil},
		{"text", []byte("hello there"), "", "", sdk.ErrBadRequest},
		{"empty", nil, "image/png", "", sdk.ErrBadRequest},
	}
	for _, tt := range tests {
		got, err := ImageType(tt.data, tt.mime)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ImageType(%s, %q) = %q, %v, want %q, %v", tt.name, tt.mime, got, err, tt.want, tt.err)
		}
	}
}

func TestServerDown(t *testing.T) {
	tests := []struct {
		name string
		err  error
		down bool
	}{
		{"nil", nil, false},
		{"unavailable", fmt.Errorf("x: %w", sdk.ErrUnavailable), true},
		{"bad response", fmt.Errorf("x: %w", sdk.ErrBadResponse), true},
		{"api 503", &APIError{StatusCode: 503}, true},
		{"api 401", &APIError{StatusCode: 401}, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"other", errors.New("odd"), false},
	}
	for _, tt := range tests {
		note, down := ServerDown(tt.err)
		if down != tt.down || down && note == "" {
			t.Errorf("ServerDown(%s) = %q, %v, want down %v with a note", tt.name, note, down, tt.down)
		}
	}
}

func TestMatchNote(t *testing.T) {
	if ok, note := MatchNote("A RED square", []string{"red"}, "the image"); !ok || note == "" {
		t.Errorf("MatchNote(red) = %v, %q, want true with a note", ok, note)
	}
	if ok, _ := MatchNote("blue", []string{"red"}, "the image"); ok {
		t.Errorf("MatchNote(blue, red) = true, want false")
	}
	if HasExpect([]string{" ", ""}) || !HasExpect([]string{"", "red"}) {
		t.Errorf("HasExpect misjudges blank answers")
	}
}

// whitePNG is a small white PNG.
func whitePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
