package vllm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/imageworks-ai/loader/plugins/internal/backendutil"
	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// notMultimodal is the message vLLM answers (400) when an image is sent to
// a text-only model.
const notMultimodal = "is not a multimodal model"

// ProbeVision sends POST /v1/chat/completions with the prompt and the image
// as a data URL of its MIME type, to req.ModelID (else the entry's id).
//
// vLLM rejects images sent to text-only models with a 400 "... is not a
// multimodal model": that answer gives VisionOK false (no error). A 200
// means the server accepted the image, which is proof of a vision model;
// when req.Expect is set the answer must also name one of them.
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

	res := sdk.ProbeResult{Model: model, ProbeVersion: ProbeVersion}
	out, r, err := backendutil.Client(b.shared, target.Endpoint, req.APIKey).ChatCompletion(ctx, openai.NewImageChat(model, prompt, target.MIME, req.Image))
	if r != nil {
		res.StatusCode = r.StatusCode
		res.LatencyMS = r.Latency.Milliseconds()
	}
	if err != nil {
		var ae *openai.APIError
		if errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && strings.Contains(ae.Message, notMultimodal) {
			res.Excerpt = openai.Excerpt(ae.Message)
			res.Notes = append(res.Notes, "vllm rejected the image: "+ae.Message+" (the server says the model cannot see)")
			return res, nil
		}
		return sdk.ProbeResult{}, fmt.Errorf("vllm: probing model %q: %w", model, err)
	}
	if out.Model != "" {
		res.Model = out.Model
	}
	res.Excerpt = openai.Excerpt(out.Text())
	res.VisionOK = true
	res.Notes = append(res.Notes, "server accepted the image (vLLM rejects images sent to text-only models)")
	if backendutil.HasExpect(req.Expect) {
		ok, note := backendutil.Match(out.Text(), req.Expect, "the image")
		res.VisionOK = ok
		res.Notes = append(res.Notes, note)
	}
	return res, nil
}
