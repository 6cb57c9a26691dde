package openai

import (
	"encoding/base64"
	"strings"
)

// ChatRequest is a non-streaming POST /v1/chat/completions body.
type ChatRequest struct {
	Model       string    `json:"model"`                 // the served model id
	Messages    []Message `json:"messages"`              // the conversation, in order
	MaxTokens   int       `json:"max_tokens,omitempty"`  // answer length bound; 0 leaves the server's
	Temperature *float64  `json:"temperature,omitempty"` // nil leaves the server's
	Stream      bool      `json:"stream"`                // always false: Client reads whole answers
}

// Message is one chat message made of content parts.
type Message struct {
	Role    string        `json:"role"`    // "user", "system" or "assistant"
	Content []ContentPart `json:"content"` // text and image parts, in order
}

// ContentPart is a text part ({"type":"text","text":...}) or an image part
// ({"type":"image_url","image_url":{"url":...}}).
type ContentPart struct {
	Type     string    `json:"type"`                // "text" or "image_url"
	Text     string    `json:"text,omitempty"`      // a text part's text
	ImageURL *ImageURL `json:"image_url,omitempty"` // an image part's URL
}

// ImageURL is an image part's URL object.
type ImageURL struct {
	URL string `json:"url"` // an http(s) URL or a data URL
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
	ID      string       `json:"id"`              // the completion's id
	Object  string       `json:"object"`          // "chat.completion"
	Model   string       `json:"model"`           // the model that answered
	Choices []ChatChoice `json:"choices"`         // the answers; Text reads the first
	Usage   *Usage       `json:"usage,omitempty"` // token counts, when sent
}

// ChatChoice is one answer choice.
type ChatChoice struct {
	Index        int         `json:"index"`         // the choice's position
	Message      ChatMessage `json:"message"`       // the answer
	FinishReason string      `json:"finish_reason"` // "stop", "length", ...
}

// ChatMessage is an answer message. Content is "" when the server sent
// null. ReasoningContent is LMDeploy's and vLLM's reasoning text, if any.
type ChatMessage struct {
	Role             string `json:"role"`                        // "assistant"
	Content          string `json:"content"`                     // the answer text
	ReasoningContent string `json:"reasoning_content,omitempty"` // the reasoning text, if any
}

// Usage is the token count of a completion.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`     // tokens of the question
	CompletionTokens int `json:"completion_tokens"` // tokens of the answer
	TotalTokens      int `json:"total_tokens"`      // their sum
}

// Text returns the first choice's content, or "" when there is none.
func (r ChatResponse) Text() string {
	if len(r.Choices) == 0 {
		return ""
	}
	return r.Choices[0].Message.Content
}
