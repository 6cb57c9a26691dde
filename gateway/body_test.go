package gateway

import (
	"encoding/json"
	"testing"
)

// TestImagesFound: image parts are found however the JSON spells them
// (an escaped "image" included), and text-only messages carry none.
func TestImagesFound(t *testing.T) {
	for _, tc := range []struct {
		messages string
		found    bool
		bytes    int64
	}{
		{`[{"role":"user","content":"hi"}]`, false, 0},
		{`[{"role":"user","content":[{"type":"text","text":"caf\u00e9"}]}]`, false, 0},
		{`[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]`, true, 3},
		{`[{"role":"user","content":[{"type":"\u0069mage_url","\u0069mage_url":"data:x;base64,AAAAAAAA"}]}]`, true, 6},
	} {
		found, n := images(json.RawMessage(tc.messages))
		if found != tc.found || n != tc.bytes {
			t.Errorf("images(%s) = %t, %d, want %t, %d", tc.messages, found, n, tc.found, tc.bytes)
		}
	}
}

// TestCompletionTokens: usage.completion_tokens of an answer, wherever the
// member stands; 0 for an answer without usage, or one cut short.
func TestCompletionTokens(t *testing.T) {
	for data, want := range map[string]int64{
		`{"id":"x","choices":[{"message":{"content":"\"usage\": {\"completion_tokens\": 9}"}}],"usage":{"prompt_tokens":3,"completion_tokens":7}}`: 7,
		`{"usage":{"completion_tokens":5},"choices":[]}`:                    5,
		`{"choices":[{"text":"completion_tokens"}]}`:                        0,
		`{"choices":[],"usage":{"completion_tokens":5}`:                     0, // cut short
		`{"usage":null,"x":{"usage":{"completion_tokens":4}}}`:              0,
		`{"usage":{"completion_tokens":2},"usage":{"completion_tokens":3}}`: 3,
	} {
		if got := completionTokens([]byte(data)); got != want {
			t.Errorf("completionTokens(%s) = %d, want %d", data, got, want)
		}
	}
}
