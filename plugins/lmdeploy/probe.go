package lmdeploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/plugins/internal/backendutil"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// ProbeVision sends POST /v1/chat/completions with the prompt and the image
// as a data URL of its MIME type, to req.ModelID (else the entry's id).
//
// LMDeploy answers image questions for text-only models (it drops the
// image), so a 200 proves nothing by itself. With req.Expect set (the image
// is the host's challenge) VisionOK needs the answer to name one of them.
// With no Expect (a caller's own image) the challenge image of
// req.Challenge is asked too, and VisionOK needs the challenge's answer to
// match; without a challenge VisionOK is false. Notes say which proof held.
// Latency, status, model and excerpt are those of the caller's image.
//
// Errors: no image or a non-image wraps sdk.ErrBadRequest; unknown model
// sdk.ErrModelNotFound; 401 sdk.ErrUnauthorized; unreachable, timeout or
// 503 sdk.ErrUnavailable; bad JSON or 500 sdk.ErrBadResponse.
func (b *Backend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	target, err := backendutil.Target(b.shared, req)
	if err != nil {
		return sdk.ProbeResult{}, err
	}
	model, prompt := target.Model, target.Prompt
	ctx, cancel := backendutil.WithTimeout(ctx, req.Timeout, backendutil.DefaultProbeTimeout)
	defer cancel()
	api := backendutil.Client(b.shared, target.Endpoint, req.APIKey)

	res := sdk.ProbeResult{Model: model, ProbeVersion: ProbeVersion}
	out, r, err := api.ChatCompletion(ctx, openai.NewImageChat(model, prompt, target.MIME, req.Image))
	if r != nil {
		res.StatusCode = r.StatusCode
		res.LatencyMS = r.Latency.Milliseconds()
	}
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("lmdeploy: probing model %q: %w", model, err)
	}
	if out.Model != "" {
		res.Model = out.Model
	}
	res.Excerpt = openai.Excerpt(out.Text())
	res.Notes = append(res.Notes, "server answered (LMDeploy answers image questions for text-only models, so this alone is no proof)")

	if backendutil.HasExpect(req.Expect) {
		ok, note := backendutil.Match(out.Text(), req.Expect, "the image")
		res.VisionOK = ok
		res.Notes = append(res.Notes, note)
		return res, nil
	}
	ch := req.Challenge
	if ch == nil || len(ch.Image) == 0 || !backendutil.HasExpect(ch.Expect) {
		res.Notes = append(res.Notes, "no challenge image to check the answer against: vision not proven")
		return res, nil
	}
	chMIME, err := backendutil.ImageType(ch.Image, ch.MIMEType)
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("lmdeploy: probe: challenge: %w", err)
	}
	chPrompt := ch.Prompt
	if strings.TrimSpace(chPrompt) == "" {
		chPrompt = prompt
	}
	chOut, _, err := api.ChatCompletion(ctx, openai.NewImageChat(model, chPrompt, chMIME, ch.Image))
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("lmdeploy: probing model %q with the challenge image: %w", model, err)
	}
	ok, note := backendutil.Match(chOut.Text(), ch.Expect, "the challenge image")
	res.VisionOK = ok
	res.Notes = append(res.Notes, note)
	return res, nil
}
