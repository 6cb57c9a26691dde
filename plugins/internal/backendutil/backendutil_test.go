package backendutil

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

func TestWithTimeout(t *testing.T) {
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
			ctx, cancel := WithTimeout(tt.ctx, tt.d, tt.def)
			defer cancel()
			dl, ok := ctx.Deadline()
			if tt.want == 0 {
				if ok {
					t.Errorf("WithTimeout(%v, %v) deadline = %v, want none", tt.d, tt.def, dl)
				}
				return
			}
			if left := time.Until(dl); !ok || left > tt.want || left < tt.want-5*time.Second {
				t.Errorf("WithTimeout(%v, %v) leaves %v, want about %v", tt.d, tt.def, left, tt.want)
			}
		})
	}
}

func TestImageType(t *testing.T) {
	png := standin.SolidPNG(color.White)
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

func TestDown(t *testing.T) {
	tests := []struct {
		name string
		err  error
		down bool
	}{
		{"nil", nil, false},
		{"unavailable", fmt.Errorf("x: %w", sdk.ErrUnavailable), true},
		{"bad response", fmt.Errorf("x: %w", sdk.ErrBadResponse), true},
		{"api 503", &openai.APIError{StatusCode: 503}, true},
		{"api 401", &openai.APIError{StatusCode: 401}, false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"other", errors.New("odd"), false},
	}
	for _, tt := range tests {
		note, down := Down(tt.err)
		if down != tt.down || down && note == "" {
			t.Errorf("Down(%s) = %q, %v, want down %v with a note", tt.name, note, down, tt.down)
		}
	}
}

func TestMatch(t *testing.T) {
	if ok, note := Match("A RED square", []string{"red"}, "the image"); !ok || note == "" {
		t.Errorf("Match(red) = %v, %q, want true with a note", ok, note)
	}
	if ok, _ := Match("blue", []string{"red"}, "the image"); ok {
		t.Errorf("Match(blue, red) = true, want false")
	}
	if HasExpect([]string{" ", ""}) || !HasExpect([]string{"", "red"}) {
		t.Errorf("HasExpect misjudges blank answers")
	}
}
