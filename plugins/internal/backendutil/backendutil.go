// Package backendutil holds what the bundled backends share beyond
// sdk/openai: Base, the embeddable core of an OpenAI-compatible backend
// (vLLM, LMDeploy); deadlines; image sniffing; and telling a down server
// from a failed call.
package backendutil

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// Default deadlines used when neither the request nor the context sets one.
const (
	DefaultHealthTimeout = 10 * time.Second
	DefaultListTimeout   = 60 * time.Second
	DefaultProbeTimeout  = 3 * time.Minute
)

// DefaultPrompt is the probe question when the request gives none.
const DefaultPrompt = "Describe this image in one short sentence. What is its main colour?"

// WithTimeout bounds ctx by d when d > 0, else by def when ctx has no
// deadline yet.
func WithTimeout(ctx context.Context, d, def time.Duration) (context.Context, context.CancelFunc) {
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

// Down reports whether err from a health request means the server is down
// (unreachable, timed out, or an HTTP error status other than 401/403), and
// a note saying why. Cancellation by the caller and authentication
// failures are not "down": the caller gets those as errors.
func Down(err error) (string, bool) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, sdk.ErrUnauthorized) {
		return "", false
	}
	var ae *openai.APIError
	if errors.As(err, &ae) || errors.Is(err, sdk.ErrUnavailable) || errors.Is(err, sdk.ErrBadResponse) {
		return err.Error(), true
	}
	return "", false
}

// Match checks an answer against expected answers and returns the note
// saying what held. label names the image ("the image", "the challenge
// image").
func Match(answer string, expect []string, label string) (bool, string) {
	if got, ok := openai.MatchExpect(answer, expect); ok {
		return true, fmt.Sprintf("answer about %s names %q (expected one of %q)", label, got, expect)
	}
	return false, fmt.Sprintf("answer about %s names none of %q: %q", label, expect, openai.Excerpt(answer))
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
