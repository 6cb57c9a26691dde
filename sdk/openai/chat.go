package openai

import (
	"encoding/base64"
	"strings"
)

// ChatRequest is a non-streaming POST /v1/chat/completions body.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Temperature *float64  `json:"temperature,omitempty"`
	Stream      bool      `json:"stream"`
}

// Message is one chat message made of content parts.
type Message struct {
	Role    string        `json:"role"`
	Content []ContentPart `json:"content"`
}

// ContentPart is a text part ({"type":"text","text":...}) or an image part
// ({"type":"image_url","image_url":{"url":...}}).
type ContentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
}

// ImageURL is an image part's URL object.
type ImageURL struct {
	URL string `json:"url"`
}

// TextPart returns a text content part.
func TextPart(text string) ContentPart { return ContentPart{Type: "text", Text: text} }

// ImagePart returns an image_url content part for url (an http(s) URL or a
// data URL).
func ImagePart(url string) ContentPart {
	return ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: url}}
}

// DataURL returns data as a base64 data URL of the given MIME type:
// "data:image/png;base64,iVBORw0...". The type is used as given; sniff it
// (http.DetectContentType) rather than assume one.
func DataURL(mimeType string, data []byte) string {
	return "data:" + strings.TrimSpace(mimeType) + ";base64," + base64.StdEncoding.EncodeToString(data)
}

// DefaultProbeMaxTokens bounds the answer of a chat built by NewImageChat.
const DefaultProbeMaxTokens = 256

// NewImageChat returns a request asking model one question about one image:
// a single user message with a text part (prompt) and an image_url part
// holding the image as a data URL of mimeType, at temperature 0 with
// DefaultProbeMaxTokens.
func NewImageChat(model, prompt, mimeType string, image []byte) ChatRequest {
	zero := 0.0
	return ChatRequest{
		Model: model,
		Messages: []Message{{
			Role:    "user",
			Content: []ContentPart{TextPart(prompt), ImagePart(DataURL(mimeType, image))},
		}},
		MaxTokens:   DefaultProbeMaxTokens,
		Temperature: &zero,
	}
}

// ChatResponse is a chat completion answer.
type ChatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   *Usage       `json:"usage,omitempty"`
}

// ChatChoice is one answer choice.
type ChatChoice struct {
	Index        int         `json:"index"`
	Message      ChatMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// ChatMessage is an answer message. Content is "" when the server sent
// null. ReasoningContent is LMDeploy's and vLLM's reasoning text, if any.
type ChatMessage struct {
	Role             string `json:"role"`
	Content          string `json:"content"`
	ReasoningContent string `json:"reasoning_content,omitempty"`
}

// Usage is the token count of a completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Text returns the first choice's content, or "" when there is none.
func (r ChatResponse) Text() string {
	if len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Message.Content
}
