package core

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/openai"
)

// The built-in challenge: solid colours whose names prove an image was seen.
const (
	challengePrompt = "What colour fills this image? Answer with one word."
	challengeSize   = 256
)

// challengeColour is one colour of the built-in challenge.
type challengeColour struct {
	name string
	rgba color.RGBA
}

// challengePalette is the challenge's colours: six that any vision model
// names apart, far from each other in RGB (at least 190 apart, of 441 from
// black to white; TestChallengePalette checks it).
func challengePalette() []challengeColour {
	return []challengeColour{
		{"red", color.RGBA{R: 220, G: 20, B: 20, A: 255}},
		{"green", color.RGBA{R: 30, G: 200, B: 30, A: 255}},
		{"blue", color.RGBA{R: 20, G: 40, B: 220, A: 255}},
		{"yellow", color.RGBA{R: 240, G: 220, B: 20, A: 255}},
		{"black", color.RGBA{R: 10, G: 10, B: 10, A: 255}},
		{"white", color.RGBA{R: 245, G: 245, B: 245, A: 255}},
	}
}

// ChallengeColours returns the names of the built-in challenge's colours,
// in a fixed order. A probe without a caller's image draws two different
// ones at random.
func ChallengeColours() []string {
	var out []string
	for _, c := range challengePalette() {
		out = append(out, c.name)
	}
	return out
}

// ColourChallenge returns the built-in challenge of one colour of
// ChallengeColours: a 256×256 PNG filled with it, the question to ask, and
// the colour's name as the answer that proves the image was seen. ok is
// false for a name not in ChallengeColours.
func ColourChallenge(name string) (c sdk.Challenge, ok bool) {
	for _, p := range challengePalette() {
		if p.name == name {
			return solidChallenge(p), true
		}
	}
	return sdk.Challenge{}, false
}

func solidChallenge(p challengeColour) sdk.Challenge {
	img := image.NewRGBA(image.Rect(0, 0, challengeSize, challengeSize))
	for y := range challengeSize {
		for x := range challengeSize {
			img.SetRGBA(x, y, p.rgba)
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img) // writing to a bytes.Buffer cannot fail
	return sdk.Challenge{Image: buf.Bytes(), MIMEType: "image/png", Prompt: challengePrompt, Expect: []string{p.name}}
}

// drawChallenge draws two different colours of the palette with intn
// (uniform in [0, n)), each pair equally likely.
func drawChallenge(intn func(int) int) [2]challengeColour {
	if intn == nil {
		intn = rand.IntN
	}
	p := challengePalette()
	i := intn(len(p))
	j := intn(len(p) - 1)
	if j >= i {
		j++
	}
	return [2]challengeColour{p[i], p[j]}
}

// askChallenge asks the model about both drawn colours, one image each,
// with req's entry, endpoint and model. The result holds only when the
// backend counts both images as seen and neither answer names the other
// colour (a model that lists colours does not pass). The second image is
// not asked once the first failed. Notes say which image each note is
// about; latency is the sum, the rest is the first image's.
func askChallenge(ctx context.Context, b sdk.VisionProber, req sdk.ProbeRequest, colours [2]challengeColour) (sdk.ProbeResult, error) {
	var out sdk.ProbeResult
	for i, c := range colours {
		ch := solidChallenge(c)
		r := req
		r.Image, r.MIMEType, r.Prompt, r.Expect, r.Challenge = ch.Image, ch.MIMEType, ch.Prompt, ch.Expect, &ch
		res, err := b.ProbeVision(ctx, r)
		if err != nil {
			return sdk.ProbeResult{}, fmt.Errorf("challenge image %d of 2 (%s): %w", i+1, c.name, err)
		}
		label := fmt.Sprintf("challenge %d/2 (%s): ", i+1, c.name)
		notes := []string{label + fmt.Sprintf("answered %q", res.Excerpt)}
		for _, n := range res.Notes {
			notes = append(notes, label+n)
		}
		other := colours[1-i].name
		// Whole words as the backend matched the expected colour
		// (openai.MatchExpect), so both judge an answer alike.
		if _, named := openai.MatchExpect(res.Excerpt, []string{other}); res.VisionOK && named {
			res.VisionOK = false
			notes = append(notes, label+fmt.Sprintf("the answer also names %q, the other challenge colour: not proof of sight", other))
		}
		if i == 0 {
			out = res
			out.Notes = notes
		} else {
			out.LatencyMS += res.LatencyMS
			out.Notes = append(out.Notes, notes...)
			out.VisionOK = out.VisionOK && res.VisionOK
		}
		if !res.VisionOK {
			out.VisionOK = false
			if i == 0 {
				out.Notes = append(out.Notes, fmt.Sprintf("challenge 2/2 (%s): not asked, the first image was not seen", colours[1].name))
			}
			break
		}
	}
	return out, nil
}
