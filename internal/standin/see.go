package standin

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // decoders for images a stand-in describes
	_ "image/jpeg"
	"image/png"
	"strings"
)

// oaiChat is the part of an OpenAI chat request a stand-in reads.
type oaiChat struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Stream        bool           `json:"stream"`
	StreamOptions *streamOptions `json:"stream_options"`
}

// streamOptions is OpenAI's stream_options.
type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// imageURLs returns the image_url parts' URLs of every message. An
// image_url may be an object {"url": ...} or a bare string.
func (c oaiChat) imageURLs() ([]string, error) {
	var urls []string
	for i, m := range c.Messages {
		if len(m.Content) == 0 || m.Content[0] != '[' {
			continue // a plain string or null
		}
		var parts []struct {
			Type     string          `json:"type"`
			ImageURL json.RawMessage `json:"image_url"`
		}
		if err := json.Unmarshal(m.Content, &parts); err != nil {
			return nil, fmt.Errorf("messages[%d].content: %w", i, err)
		}
		for _, p := range parts {
			if p.Type != "image_url" {
				continue
			}
			var s string
			if err := json.Unmarshal(p.ImageURL, &s); err == nil {
				urls = append(urls, s)
				continue
			}
			var o struct {
				URL string `json:"url"`
			}
			if err := json.Unmarshal(p.ImageURL, &o); err != nil || o.URL == "" {
				return nil, fmt.Errorf("messages[%d]: image_url has no url", i)
			}
			urls = append(urls, o.URL)
		}
	}
	return urls, nil
}

// decodeDataURL returns the bytes of a base64 data URL.
func decodeDataURL(u string) ([]byte, error) {
	rest, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return nil, errors.New("only base64 data: image URLs are supported")
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return nil, errors.New("image data URL is not base64")
	}
	b, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, fmt.Errorf("image data URL: %w", err)
	}
	return b, nil
}

// answer is what model m says when sent images (bytes) with a question.
// sees is whether the server passes images to the model at all.
func answer(m *Model, images [][]byte) string {
	if m.Answer != "" {
		return m.Answer
	}
	if len(images) == 0 {
		return fmt.Sprintf("Hello, I am %s. Send me an image to describe.", m.ID)
	}
	if !m.Vision {
		return "I cannot see any image in your message; I can only read text."
	}
	name, err := colourOf(images[0])
	if err != nil {
		return "I cannot make out this image."
	}
	return fmt.Sprintf("The image is a solid %s square.", name)
}

// colourOf names the average colour of an image.
func colourOf(b []byte) (string, error) {
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	r0 := img.Bounds()
	var sr, sg, sb, n uint64
	step := max(1, max(r0.Dx(), r0.Dy())/64)
	for y := r0.Min.Y; y < r0.Max.Y; y += step {
		for x := r0.Min.X; x < r0.Max.X; x += step {
			r, g, b, _ := img.At(x, y).RGBA()
			sr, sg, sb, n = sr+uint64(r>>8), sg+uint64(g>>8), sb+uint64(b>>8), n+1
		}
	}
	if n == 0 {
		return "", errors.New("empty image")
	}
	return nearestColour(int(sr/n), int(sg/n), int(sb/n)), nil
}

// nearestColour names the palette colour nearest to r, g, b.
func nearestColour(r, g, b int) string {
	palette := [...]struct {
		name    string
		r, g, b int
	}{
		{"black", 0, 0, 0}, {"white", 255, 255, 255}, {"gray", 128, 128, 128},
		{"red", 255, 0, 0}, {"green", 0, 200, 0}, {"blue", 0, 0, 255},
		{"yellow", 255, 255, 0}, {"cyan", 0, 255, 255}, {"magenta", 255, 0, 255},
		{"orange", 255, 165, 0}, {"purple", 128, 0, 128},
	}
	best, bestD := "", -1
	for _, p := range palette {
		d := (r-p.r)*(r-p.r) + (g-p.g)*(g-p.g) + (b-p.b)*(b-p.b)
		if bestD < 0 || d < bestD {
			best, bestD = p.name, d
		}
	}
	return best
}

// SolidPNG returns a 64×64 PNG of one colour, the kind of image stand-ins
// (and the host's challenge) describe by its colour.
func SolidPNG(c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory RGBA image cannot fail
	}
	return buf.Bytes()
}
