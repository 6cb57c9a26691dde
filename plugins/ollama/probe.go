package ollama

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// chatRequest is POST /api/chat, non-streaming.
type chatRequest struct {
	Model    string         `json:"model"`
	Stream   bool           `json:"stream"`
	Messages []chatMessage  `json:"messages"`
	Options  map[string]any `json:"options,omitempty"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// Images are bare base64, without a data: prefix.
	Images []string `json:"images,omitempty"`
}

type chatResponse struct {
	Model   string `json:"model"`
	Message struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"message"`
	Done         bool  `json:"done"`
	LoadDuration int64 `json:"load_duration"`
}

// loadedModelThreshold is the load_duration above which the probe notes
// that its call loaded the model.
const loadedModelThreshold = time.Second

// ProbeVision first asks POST /api/show about req.ModelID (else the
// entry's id): when the server lists capabilities without "vision",
// VisionOK is false and no image is sent. Otherwise it sends POST
// /api/chat with "stream": false and the image as bare base64. Ollama
// answers image questions for text-only models, so the proof is the
// "vision" capability; when req.Expect is set the answer must also name one
// of them. For an old server that lists no capabilities, the answer (or,
// without Expect, the answer about req.Challenge's image) must match.
// Latency, status and excerpt are those of the chat.
//
// Errors: no image or a non-image wraps sdk.ErrBadRequest; unknown model
// sdk.ErrModelNotFound; unreachable, timeout or 503 sdk.ErrUnavailable;
// bad JSON or 500 sdk.ErrBadResponse; 401 (a proxy) sdk.ErrUnauthorized.
func (b *Backend) ProbeVision(ctx context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	if _, err := openai.ImageType(req.Image, req.MIMEType); err != nil {
		return sdk.ProbeResult{}, err
	}
	ep := req.Endpoint
	if strings.TrimSpace(ep) == "" {
		ep, _ = b.endpoint(req.Entry.Config)
	}
	model := req.ModelID
	if model == "" {
		res, _ := b.Resolve(ctx, sdk.ResolveRequest{Entry: req.Entry})
		model = res.InternalModelID
	}
	prompt := req.Prompt
	if strings.TrimSpace(prompt) == "" {
		prompt = openai.DefaultPrompt
	}
	ctx, cancel := openai.CallContext(ctx, req.Timeout, openai.DefaultProbeTimeout)
	defer cancel()
	c := b.client(ep, req.APIKey)

	res := sdk.ProbeResult{Model: model, ProbeVersion: ProbeVersion}
	var show showResponse
	r, err := c.PostJSON(ctx, "/api/show", map[string]string{"model": model}, &show)
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("model %q: %w", model, err)
	}
	capsKnown := show.Capabilities != nil
	if capsKnown && !slices.Contains(show.Capabilities, "vision") {
		res.StatusCode = r.StatusCode
		res.LatencyMS = r.Latency.Milliseconds()
		res.Notes = append(res.Notes, fmt.Sprintf("ollama /api/show capabilities %q lack \"vision\": the model cannot see; no image sent", show.Capabilities))
		return res, nil
	}
	if capsKnown {
		res.Notes = append(res.Notes, "ollama /api/show capabilities include \"vision\"")
	} else {
		res.Notes = append(res.Notes, "ollama /api/show lists no capabilities (Ollama before 0.6.4): the answer must prove sight")
	}

	out, r, err := b.chat(ctx, c, model, prompt, req.Image)
	if r != nil {
		res.StatusCode = r.StatusCode
		res.LatencyMS = r.Latency.Milliseconds()
	}
	if err != nil {
		return sdk.ProbeResult{}, fmt.Errorf("model %q: %w", model, err)
	}
	if out.Model != "" {
		res.Model = out.Model
	}
	res.Excerpt = openai.Excerpt(out.Message.Content)
	if d := time.Duration(out.LoadDuration); d >= loadedModelThreshold {
		res.Notes = append(res.Notes, fmt.Sprintf("this call loaded the model (load_duration %s)", d.Round(time.Millisecond)))
	}

	switch {
	case openai.HasExpect(req.Expect):
		ok, note := openai.MatchNote(out.Message.Content, req.Expect, "the image")
		res.VisionOK = ok
		res.Notes = append(res.Notes, note)
	case capsKnown:
		res.VisionOK = true
	case req.Challenge != nil && len(req.Challenge.Image) > 0 && openai.HasExpect(req.Challenge.Expect):
		ch := req.Challenge
		if _, err := openai.ImageType(ch.Image, ch.MIMEType); err != nil {
			return sdk.ProbeResult{}, fmt.Errorf("challenge: %w", err)
		}
		chPrompt := ch.Prompt
		if strings.TrimSpace(chPrompt) == "" {
			chPrompt = prompt
		}
		chOut, _, err := b.chat(ctx, c, model, chPrompt, ch.Image)
		if err != nil {
			return sdk.ProbeResult{}, fmt.Errorf("model %q with the challenge image: %w", model, err)
		}
		ok, note := openai.MatchNote(chOut.Message.Content, ch.Expect, "the challenge image")
		res.VisionOK = ok
		res.Notes = append(res.Notes, note)
	default:
		res.Notes = append(res.Notes, "no challenge image to check the answer against: vision not proven")
	}
	return res, nil
}

// chat sends one non-streaming /api/chat question with one image.
func (b *Backend) chat(ctx context.Context, c *openai.Client, model, prompt string, image []byte) (chatResponse, *openai.Response, error) {
	var out chatResponse
	r, err := c.PostJSON(ctx, "/api/chat", chatRequest{
		Model:  model,
		Stream: false,
		Messages: []chatMessage{{
			Role: "user", Content: prompt,
			Images: []string{base64.StdEncoding.EncodeToString(image)},
		}},
		Options: map[string]any{"temperature": 0},
	}, &out)
	return out, r, err
}
