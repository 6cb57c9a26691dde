package core

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/internal/standin"
	"github.com/imageworks-ai/loader/plugins/lmdeploy"
	"github.com/imageworks-ai/loader/plugins/ollama"
	"github.com/imageworks-ai/loader/plugins/vllm"
	"github.com/imageworks-ai/loader/sdk"
)

func TestChallengePalette(t *testing.T) {
	p := challengePalette()
	names := ChallengeColours()
	if len(p) < 6 || len(slices.Compact(slices.Sorted(slices.Values(names)))) != len(p) {
		t.Fatalf("ChallengeColours() = %q, want at least six distinct", names)
	}
	for i, a := range p {
		for _, b := range p[i+1:] {
			dr, dg, db := float64(a.rgba.R)-float64(b.rgba.R), float64(a.rgba.G)-float64(b.rgba.G), float64(a.rgba.B)-float64(b.rgba.B)
			if d := math.Sqrt(dr*dr + dg*dg + db*db); d < 190 {
				t.Errorf("challenge colours %s and %s are %.0f apart in RGB, want at least 190", a.name, b.name, d)
			}
		}
		c, ok := ColourChallenge(a.name)
		img, err := png.Decode(bytes.NewReader(c.Image))
		if !ok || err != nil || !reflect.DeepEqual(c.Expect, []string{a.name}) || c.MIMEType != "image/png" {
			t.Fatalf("ColourChallenge(%s) = %v, %v, %v", a.name, ok, err, c.Expect)
		}
		if r, g, b, _ := img.At(17, 200).RGBA(); uint8(r>>8) != a.rgba.R || uint8(g>>8) != a.rgba.G || uint8(b>>8) != a.rgba.B {
			t.Errorf("ColourChallenge(%s) pixel = %d,%d,%d, want %v", a.name, r>>8, g>>8, b>>8, a.rgba)
		}
	}
	if _, ok := ColourChallenge("mauve"); ok {
		t.Errorf("ColourChallenge(mauve) ok, want not")
	}
}

func TestDrawChallenge(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[[2]string]int{}
	for range 3000 {
		c := drawChallenge(r.IntN)
		if c[0].name == c[1].name {
			t.Fatalf("drawChallenge drew %s twice", c[0].name)
		}
		seen[[2]string{c[0].name, c[1].name}]++
	}
	n := len(challengePalette())
	if len(seen) != n*(n-1) {
		t.Errorf("drawChallenge drew %d ordered pairs in 3000 draws, want all %d", len(seen), n*(n-1))
	}
	for pair, k := range seen {
		if k < 50 { // 100 expected for each of 30 pairs
			t.Errorf("pair %v drawn %d times in 3000, want about 100", pair, k)
		}
	}
}

// fixedDraw returns a Rand that makes drawChallenge pick palette colours i
// and j (i != j).
func fixedDraw(i, j int) func(int) int {
	calls := 0
	return func(int) int {
		calls++
		if calls%2 == 1 {
			return i
		}
		if j > i {
			return j - 1
		}
		return j
	}
}

// TestProbeVisionChallenge asks stand-ins of the three servers about every
// pair of challenge colours: a model that sees names both; one that always
// answers the same colour, or lists every colour, never passes.
func TestProbeVisionChallenge(t *testing.T) {
	models := []standin.Model{
		{ID: "sees", Vision: true},
		{ID: "says-red", Vision: true, Answer: "Red."},
		{ID: "lists", Vision: true, Answer: "red, green, blue, yellow, black or white"},
	}
	servers := map[string]*standin.Server{
		"vllm":     standin.NewVLLM(standin.Config{Models: models}),
		"lmdeploy": standin.NewLMDeploy(standin.Config{Models: models}),
		"ollama":   standin.NewOllama(standin.Config{Models: models}),
	}
	curated := "["
	for _, be := range slices.Sorted(func(yield func(string) bool) {
		for k := range servers {
			if !yield(k) {
				return
			}
		}
	}) {
		s := servers[be]
		t.Cleanup(s.Close)
		for _, m := range models {
			curated += fmt.Sprintf(`{"name": %q, "backend": %q, "served_model_id": %q, "backend_config": {"base_url": %q}, "capabilities": {"vision": true}},`,
				be+"-"+m.ID, be, m.ID, s.URL+"/v1")
		}
	}
	curated = curated[:len(curated)-1] + "]"
	dir := writeRegistry(t, curated, "")
	p := challengePalette()
	n := len(p)
	ctx := context.Background()
	// Every colour once first and once second for the model that sees; the
	// constant answers with red first, red second, and red not drawn.
	var pairs [][2]int
	for i := range n {
		pairs = append(pairs, [2]int{i, (i + 1) % n})
	}
	constant := map[[2]int]bool{{0, 1}: true, {1, 0}: true, {2, 3}: true}
	for pair := range constant {
		if !slices.Contains(pairs, pair) {
			pairs = append(pairs, pair)
		}
	}
	for _, pair := range pairs {
		i, j := pair[0], pair[1]
		l, err := Open(ctx, Options{
			RegistryDir: dir, Rand: fixedDraw(i, j),
			Backends: map[string]sdk.Backend{"vllm": vllm.New(), "ollama": ollama.New(), "lmdeploy": lmdeploy.New()},
			Now:      func() time.Time { return time.Date(2026, 11, 25, 12, 30, 45, 0, time.UTC) },
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{p[i].name, p[j].name}
		for _, be := range []string{"lmdeploy", "ollama", "vllm"} {
			for _, m := range models {
				sees := m.ID == "sees"
				if !sees && !constant[pair] || sees && !slices.Contains(pairs[:n], pair) {
					continue
				}
				name := be + "-" + m.ID
				rep, err := l.ProbeVision(ctx, name, ProbeOptions{})
				if err != nil || !rep.Challenge || !reflect.DeepEqual(rep.ChallengeColours, want) {
					t.Fatalf("ProbeVision(%s, %v) = %+v, %v", name, want, rep, err)
				}
				if rep.VisionOK != sees {
					t.Errorf("ProbeVision(%s) with colours %v: vision_ok %v, want %v; notes %q", name, want, rep.VisionOK, sees, rep.Notes)
				}
			}
		}
		l.Close()
	}
	// With a caller's image, one drawn colour is offered as the challenge to
	// backends that need it (LMDeploy asks it too).
	l, err := Open(ctx, Options{
		RegistryDir: dir, Rand: fixedDraw(1, 0),
		Backends: map[string]sdk.Backend{"lmdeploy": lmdeploy.New()},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	img, _ := ColourChallenge("blue")
	for name, sees := range map[string]bool{"lmdeploy-sees": true, "lmdeploy-says-red": false} {
		rep, err := l.ProbeVision(ctx, name, ProbeOptions{Image: img.Image})
		if err != nil || rep.Challenge || !reflect.DeepEqual(rep.ChallengeColours, []string{p[1].name}) || rep.VisionOK != sees {
			t.Errorf("ProbeVision(%s, caller's image) = %+v, %v, want challenge_colours [%s], vision_ok %v", name, rep, err, p[1].name, sees)
		}
	}
}

// answering is a VisionProber that counts every image as seen and answers
// the first image with its text, the others with the colour asked for.
type answering string

func (a answering) ProbeVision(_ context.Context, req sdk.ProbeRequest) (sdk.ProbeResult, error) {
	if slices.Contains(req.Expect, "red") {
		return sdk.ProbeResult{VisionOK: true, Excerpt: string(a)}, nil
	}
	return sdk.ProbeResult{VisionOK: true, Excerpt: "It is " + req.Expect[0] + "."}, nil
}

// TestChallengeOtherColourNamed: an answer that also names the other
// challenge colour, as a whole word as the backends match the expected
// one (openai.MatchExpect), is not proof of sight; a word that merely
// contains it is no naming.
func TestChallengeOtherColourNamed(t *testing.T) {
	p := challengePalette()
	red, blue := p[0], p[2]
	for _, tt := range []struct {
		answer string
		want   bool
	}{
		{"It is red.", true},
		{"Red, or maybe Blue.", false},
		{"red (not blue)", false},
		{"red, bluer than none", true},
		{"red; see figure blue2", true},
	} {
		res, err := askChallenge(context.Background(), answering(tt.answer), sdk.ProbeRequest{}, [2]challengeColour{red, blue})
		if err != nil {
			t.Fatal(err)
		}
		if res.VisionOK != tt.want {
			t.Errorf("answer %q: VisionOK = %v, want %v (notes %q)", tt.answer, res.VisionOK, tt.want, res.Notes)
		}
	}
}
