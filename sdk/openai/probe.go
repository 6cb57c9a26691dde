package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/imageworks-ai/loader/sdk"
)

// ProbeVision sends POST /v1/chat/completions with the prompt (else
// DefaultPrompt) and the image as a data URL of its MIME type, to
// req.ModelID (else the entry's model id) at req.Endpoint (else the
// entry's endpoint), and judges whether the model saw it:
//
//   - A 400 carrying the identity's BlindImageError (vLLM's "... is not a
//     multimodal model") is the server saying the model cannot see:
//     VisionOK false, no error.
//   - With req.Expect set (the image is the host's challenge), the answer
//     must name one of them.
//   - Else, on a server identified by its version route as the identity's
//     kind, whose BlindImageError is set, the 200 itself is the proof.
//   - Else the 200 proves nothing (Ollama, LMDeploy, llama.cpp answer image
//     questions for text-only models), and req.Challenge decides: it is
//     asked too and VisionOK needs its answer to name one of its Expect.
//     Without a challenge VisionOK is false.
//
// The result's latency, status, model and excerpt are always those of the
// caller's image; when the challenge decided, the notes say so and quote
// its answer. Errors: no image or a non-image wraps sdk.ErrBadRequest;
// unknown model sdk.ErrModelNotFound; 401 sdk.ErrUnauthorized;
// unreachable, timeout or 503 sdk.ErrUnavailable; bad JSON or 500
// sdk.ErrBadResponse.
func (b *Backend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	mime, err := ImageType(req.Image, req.MIMEType)
	if err != nil {
		return sdk.ProbeResult{}, err
	}
	endpoint, model, prompt := req.Endpoint, req.ModelID, req.Prompt
	if strings.TrimSpace(endpoint) == "" {
		endpoint = Endpoint(req.Entry.Config, b.port)
	}
	if model == "" {
		model = ModelID(req.Entry)
	}
	if strings.TrimSpace(prompt) == "" {
		prompt = DefaultPrompt
	}
	ctx, cancel := CallContext(ctx, req.Timeout, DefaultProbeTimeout)
	defer cancel()
	api := b.client(endpoint, req.APIKey)

	res := sdk.ProbeResult{Model: model, ProbeVersion: ProbeVersion}
	out, r, err := api.ChatCompletion(ctx, NewImageChat(model, prompt, mime, req.Image))
	if r != nil {
		res.StatusCode = r.StatusCode
		res.LatencyMS = r.Latency.Milliseconds()
	}
	if err != nil {
		var ae *APIError
		if id := b.identity; id != nil && id.BlindImageError != "" && errors.As(err, &ae) &&
			ae.StatusCode == http.StatusBadRequest && strings.Contains(ae.Message, id.BlindImageError) {
			res.Excerpt = Excerpt(ae.Message)
			res.Notes = append(res.Notes, fmt.Sprintf("%s rejected the image: %s (the server says the model cannot see)", id.Kind, ae.Message))
			return res, nil
		}
		return sdk.ProbeResult{}, fmt.Errorf("model %q: %w", model, err)
	}
	if out.Model != "" {
		res.Model = out.Model
	}
	res.Excerpt = Excerpt(out.Text())

	if HasExpect(req.Expect) {
		res.Notes = append(res.Notes, "server answered")
		ok, note := MatchNote(out.Text(), req.Expect, "the image")
		res.VisionOK = ok
		res.Notes = append(res.Notes, note)
		return res, nil
	}
	if id := b.identity; id != nil && id.BlindImageError != "" {
		version, note, err := b.identify(ctx, b.client(ServerRoot(endpoint), ""))
		if err != nil {
			return sdk.ProbeResult{}, err
		}
		if version != "" {
			res.VisionOK = true
			res.Notes = append(res.Notes, fmt.Sprintf("%s %s accepted the image (it rejects images sent to models that cannot see)", id.Kind, version))
			return res, nil
		}
		res.Notes = append(res.Notes, note+": a 200 to an image proves nothing here")
	} else {
		res.Notes = append(res.Notes, "server answered (servers like this one answer image questions for text-only models, so this alone is no proof)")
	}
	return b.challenge(ctx, api, model, prompt, req.Challenge, res)
}

// challenge asks the challenge image and sets res.VisionOK from its
// answer.
func (b *Backend) challenge(ctx context.Context, api *Client, model, prompt string, ch *sdk.Challenge, res sdk.ProbeResult) (sdk.ProbeResult, error) {
	if ch == nil || len(ch.Image) == 0 || !HasExpect(ch.Expect) {
		res.Notes = append(res.Notes, "no challenge image to check the answer against: vision not proven")
		return res, nil
	}
	mime, err := ImageType(ch.Image, ch.MIMEType)
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("challenge: %w", err)
	}
	if strings.TrimSpace(ch.Prompt) != "" {
		prompt = ch.Prompt
	}
	out, _, err := api.ChatCompletion(ctx, NewImageChat(model, prompt, mime, ch.Image))
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("model %q with the challenge image: %w", model, err)
	}
	ok, note := MatchNote(out.Text(), ch.Expect, "the challenge image")
	res.VisionOK = ok
	res.Notes = append(res.Notes, note)
	return res, nil
}
