package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
)

// Default deadlines a backend uses when neither the request nor the
// context sets one.
const (
	DefaultHealthTimeout = 10 * time.Second
	DefaultListTimeout   = 60 * time.Second
	DefaultProbeTimeout  = 3 * time.Minute
)

// DefaultPrompt is the probe question when the request gives none.
const DefaultPrompt = "Describe this image in one short sentence. What is its main colour?"

// CallContext bounds ctx by d when d > 0, else by def when ctx has no
// deadline yet (and def > 0). Call the returned function when done.
func CallContext(ctx context.Context, d, def time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	if _, ok := ctx.Deadline(); !ok && def > 0 {
		return context.WithTimeout(ctx, def)
	}
	return context.WithCancel(ctx)
}

// ImageType returns the image's MIME type: mime when it is an image type,
// else the sniffed type. It fails with an error wrapping sdk.ErrBadRequest
// when data is empty or is not an image.
func ImageType(data []byte, mime string) (string, error) {
	if len(data) == 0 {
		return "", fmt.Errorf("no image to send: %w", sdk.ErrBadRequest)
	}
	if m := strings.TrimSpace(mime); strings.HasPrefix(m, "image/") {
		return m, nil
	}
	sniffed := http.DetectContentType(data)
	if !strings.HasPrefix(sniffed, "image/") {
		return "", fmt.Errorf("probe image is %s, not an image: %w", sniffed, sdk.ErrBadRequest)
	}
	return sniffed, nil
}

// ServerDown reports whether err from a health request means the server is
// down (unreachable, timed out, or an HTTP error status other than 401 and
// 403), and a note saying why. A cancelled context and a refused key are
// not "down": Health returns those as errors.
func ServerDown(err error) (string, bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrUnauthorized) {
		return "", false
	}
	var ae *APIError
	if errors.As(err, &ae) || errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, sdk.ErrBadResponse) {
		return err.Error(), true
	}
	return "", false
}

// MatchNote checks an answer against expected answers (see MatchExpect)
// and returns the note saying what held. label names the image ("the
// image", "the challenge image").
func MatchNote(answer string, expect []string, label string) (bool, string) {
	if got, ok := MatchExpect(answer, expect); ok {
		return true, fmt.Sprintf("answer about %s names %q (expected one of %q)", label, got, expect)
	}
	return false, fmt.Sprintf("answer about %s names none of %q: %q", label, expect, Excerpt(answer))
}

// HasExpect reports whether expect holds a non-blank answer.
func HasExpect(expect []string) bool {
	for _, e := range expect {
		if strings.TrimSpace(e) != "" {
			return true
		}
	}
	return false
}
