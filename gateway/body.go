package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// request is what the gateway reads of a body; the body itself is
// forwarded as it came, but for "model".
type request struct {
	Model    string          `json:"model"`
	Stream   bool            `json:"stream"`
	Messages json.RawMessage `json:"messages"`
}

// errNoObject: the body is not a JSON object.
var errNoObject = errors.New("the body is not a JSON object")

// memberSpan finds the top-level member key of the JSON object body and
// returns the byte span of its value, or ok false when the object has no
// such member. The body must be valid JSON (checked before).
func memberSpan(body []byte, key string) (start, end int, ok bool, err error) {
	i := skipWS(body, 0)
	if i >= len(body) || body[i] != '{' {
		return 0, 0, false, errNoObject
	}
	i = skipWS(body, i+1)
	for i < len(body) && body[i] != '}' {
		kEnd := skipString(body, i)
		var k string
		if err := json.Unmarshal(body[i:kEnd], &k); err != nil {
			return 0, 0, false, err
		}
		i = skipWS(body, kEnd)
		i = skipWS(body, i+1) // the colon
		vEnd := skipValue(body, i)
		if k == key {
			start, end, ok = i, vEnd, true // the last one wins, as decoders read it
		}
		i = skipWS(body, vEnd)
		if i < len(body) && body[i] == ',' {
			i = skipWS(body, i+1)
		}
	}
	return start, end, ok, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the valid JSON value starting at i.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && !strings.ContainsRune(" \t\r\n,}]", rune(b[j])) {
		j++
	}
	return j
}

// rewriteModel returns body with its top-level "model" value replaced by
// id as a JSON string; every other byte is kept. A body without "model"
// gets none added.
func rewriteModel(body []byte, id string) ([]byte, error) {
	start, end, ok, err := memberSpan(body, "model")
	if err != nil || !ok {
		return body, err
	}
	q := strconv.Quote(id)
	if !isPlainASCII(id) {
		b, err := json.Marshal(id)
		if err != nil {
			return nil, err
		}
		q = string(b)
	}
	out := make([]byte, 0, len(body)-(end-start)+len(q))
	out = append(out, body[:start]...)
	out = append(out, q...)
	return append(out, body[end:]...), nil
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// images reports whether a chat's messages carry image parts, and the
// bytes of the data URLs among them (decoded size, estimated from the
// base64 length).
func images(messages json.RawMessage) (found bool, dataBytes int64) {
	// Every image part spells "image" in its type or key, unless escaped:
	// without either, there is nothing to decode.
	if len(messages) == 0 || !bytes.Contains(messages, []byte("image")) && !bytes.Contains(messages, []byte(`\u`)) {
		return false, 0
	}
	var msgs []struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(messages, &msgs) != nil {
		return false, 0
	}
	for _, m := range msgs {
		c := bytes.TrimSpace(m.Content)
		if len(c) == 0 || c[0] != '[' {
			continue
		}
		var parts []struct {
			Type     string          `json:"type"`
			ImageURL json.RawMessage `json:"image_url"`
		}
		if json.Unmarshal(c, &parts) != nil {
			continue
		}
		for _, p := range parts {
			if p.Type != "image_url" && p.Type != "input_image" && p.Type != "image" && len(p.ImageURL) == 0 {
				continue
			}
			found = true
			var u struct {
				URL string `json:"url"`
			}
			var s string
			if json.Unmarshal(p.ImageURL, &u) != nil && json.Unmarshal(p.ImageURL, &s) == nil {
				u.URL = s
			}
			if rest, ok := strings.CutPrefix(u.URL, "data:"); ok {
				if _, b64, ok := strings.Cut(rest, ","); ok {
					dataBytes += int64(len(b64)) * 3 / 4
				}
			}
		}
	}
	return found, dataBytes
}
