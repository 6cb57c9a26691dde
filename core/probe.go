package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/core/registry"
	"github.com/imageworks-ai/loader/internal/safefile"
	"github.com/imageworks-ai/loader/sdk"
)

// DefaultMaxImageBytes is the largest image ProbeVision sends unless told
// otherwise.
const DefaultMaxImageBytes = 20 << 20

// Errors ProbeVision returns before contacting any server.
var (
	// ErrImageMissing: the image file does not exist.
	ErrImageMissing = errors.New("image not found")
	// ErrNotImage: the bytes are not a recognised image format.
	ErrNotImage = errors.New("not an image")
	// ErrImageTooLarge: the image exceeds the size limit.
	ErrImageTooLarge = errors.New("image too large")
)

// ProbeOptions refine ProbeVision.
type ProbeOptions struct {
	// ImagePath is an image file to ask about. Empty (and no Image) means
	// the built-in challenge image.
	ImagePath string
	// Image is the image itself, for callers holding bytes; used when
	// ImagePath is empty.
	Image []byte
	// Prompt is the question asked about a caller's image. Empty means a
	// request to describe it.
	Prompt string
	// MaxImageBytes bounds the image; 0 means DefaultMaxImageBytes.
	MaxImageBytes int64
	// Timeout bounds the probe; 0 means the backend's default.
	Timeout time.Duration
}

// ProbeReport is the result of a vision probe.
type ProbeReport struct {
	// Name is the entry probed; it is set exactly when a probe ran.
	Name         string   `json:"name"`
	VisionOK     bool     `json:"vision_ok"`
	LatencyMS    int64    `json:"latency_ms"`
	Notes        []string `json:"notes"`
	ProbeVersion string   `json:"probe_version"`
	Timestamp    string   `json:"timestamp"`
	Model        string   `json:"model"`
	Excerpt      string   `json:"excerpt"`
	StatusCode   int      `json:"status_code"`
	// Challenge is true when the built-in challenge images were the images
	// asked about (no caller's image).
	Challenge bool `json:"challenge"`
	// ChallengeColours are the colours of the built-in challenge drawn for
	// this probe: with Challenge, the two images asked about (both must be
	// named); with a caller's image, the one offered to backends whose
	// server cannot attest to sight by itself (LMDeploy). Never null.
	ChallengeColours []string `json:"challenge_colours"`
}

// Ran reports whether the probe reached the backend and got an answer
// (vision_ok may still be false); a refused probe's report is empty.
func (r ProbeReport) Ran() bool { return r.Name != "" }

const describePrompt = "Describe this image in one sentence."

// ProbeVision asks the model called name about an image and records the
// result in the entry's probes.vision in the discovered layer. Without a
// caller's image (opts.ImagePath and opts.Image empty) it asks about two
// built-in challenge images of different colours drawn at random
// (Options.Rand) from ChallengeColours, and vision_ok needs both colours
// named, each answer naming its own and not the other. It is
// refused before any network call with a *CapabilityError when the entry
// lacks vision, and with errors wrapping ErrImageMissing, ErrNotImage or
// ErrImageTooLarge for a bad image. A probe that ran returns its report
// (Ran is true) even when vision_ok is false; the error is then nil, or
// the save's error with the report still filled in.
func (l *Loader) ProbeVision(ctx context.Context, name string, opts ProbeOptions) (ProbeReport, error) {
	e, err := l.reg.Get(ctx, name)
	if err != nil {
		return ProbeReport{}, err
	}
	if !e.HasCapability("vision") {
		return ProbeReport{}, &CapabilityError{Name: name, Required: []string{"vision"}, Missing: []string{"vision"}}
	}
	img, err := loadImage(opts)
	if err != nil {
		return ProbeReport{}, err
	}
	colours := drawChallenge(l.opts.Rand)
	req := sdk.ProbeRequest{Entry: l.sdkEntry(e), APIKey: l.apiKey(e), Timeout: opts.Timeout}
	sel, err := l.resolve(ctx, e, false)
	if err != nil {
		return ProbeReport{}, err
	}
	req.Endpoint, req.ModelID = sel.Endpoint, sel.InternalModelID
	b, err := l.backend(ctx, e.Backend())
	if err != nil {
		return ProbeReport{}, err
	}
	prober, err := optional[sdk.VisionProber](b, e.Backend(), sdk.CallProbeVision)
	if err != nil {
		return ProbeReport{}, fmt.Errorf("probing %q: %w", name, err)
	}
	var (
		res   sdk.ProbeResult
		asked []string
	)
	if img == nil {
		res, err = askChallenge(ctx, prober, req, colours)
		asked = []string{colours[0].name, colours[1].name}
	} else {
		ch := solidChallenge(colours[0])
		req.Image, req.MIMEType, req.Prompt, req.Challenge = img, http.DetectContentType(img), opts.Prompt, &ch
		if req.Prompt == "" {
			req.Prompt = describePrompt
		}
		res, err = prober.ProbeVision(ctx, req)
		asked = []string{colours[0].name}
	}
	if err != nil {
		return ProbeReport{}, fmt.Errorf("probing %q with backend %q: %w", name, e.Backend(), err)
	}
	rep := ProbeReport{
		Name: name, VisionOK: res.VisionOK, LatencyMS: res.LatencyMS, Notes: res.Notes,
		ProbeVersion: res.ProbeVersion, Timestamp: l.timestamp(), Model: res.Model,
		Excerpt: res.Excerpt, StatusCode: res.StatusCode, Challenge: img == nil, ChallengeColours: asked,
	}
	if rep.Notes == nil {
		rep.Notes = []string{}
	}
	stored := registry.VisionProbe{
		VisionOK: rep.VisionOK, Timestamp: rep.Timestamp, ProbeVersion: rep.ProbeVersion,
		LatencyMS: rep.LatencyMS, Notes: strings.Join(rep.Notes, "; "),
	}
	if err := l.reg.Update(ctx, name, func(ed *registry.Edit) error { return ed.SetVisionProbe(stored) }); err != nil {
		return rep, err
	}
	if err := l.reg.Save(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}

// loadImage returns the caller's image checked for existence, size and
// type, or nil when the caller gave none.
func loadImage(opts ProbeOptions) ([]byte, error) {
	limit := opts.MaxImageBytes
	if limit <= 0 {
		limit = DefaultMaxImageBytes
	}
	data, label := opts.Image, "image"
	if opts.ImagePath != "" {
		label = opts.ImagePath
		// Opened without blocking: a FIFO is refused at once, not waited on.
		f, fi, err := safefile.Open(opts.ImagePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("%s: %w", opts.ImagePath, ErrImageMissing)
		case errors.Is(err, safefile.ErrNotRegular):
			return nil, fmt.Errorf("%w: %w", err, ErrNotImage)
		case err != nil:
			return nil, fmt.Errorf("reading image: %w", err)
		}
		defer f.Close()
		if fi.Size() > limit {
			return nil, fmt.Errorf("%s: %d bytes, limit %d: %w", opts.ImagePath, fi.Size(), limit, ErrImageTooLarge)
		}
		data, err = io.ReadAll(io.LimitReader(f, limit+1))
		if err != nil {
			return nil, fmt.Errorf("reading image %s: %w", opts.ImagePath, err)
		}
	}
	if data == nil {
		return nil, nil
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %d bytes, limit %d: %w", label, len(data), limit, ErrImageTooLarge)
	}
	if mt := http.DetectContentType(data); !strings.HasPrefix(mt, "image/") {
		return nil, fmt.Errorf("%s: detected %s: %w", label, mt, ErrNotImage)
	}
	return data, nil
}
