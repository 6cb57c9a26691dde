package artifact

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLegacyPartialVectors checks the three vectors the contract took from
// the Python tool, on real folders.
func TestLegacyPartialVectors(t *testing.T) {
	withTokCfg := maps.Clone(demoTree())
	withTokCfg["tokenizer_config.json"] = `{"model_max_length": 512}` + "\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"demo directory", demoTree(), "e187695f7ce3672bfd34ea7282e9b5be122ec78177d7decb96bb6a4860d96c03"},
		{"demo plus tokenizer_config.json", withTokCfg, "026be50a3e88dd596684c0b92cbc99b82f115c31c2a19b7a25ea3547a3e25376"},
		{"no covered name", map[string]string{"weights.bin": "w", "sub/config.json": "{}"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.files)
			res, err := CollectLegacyPartial(context.Background(), Source{ModelPath: dir}, Options{})
			if err != nil || res.Aggregate != tt.want {
				t.Fatalf("CollectLegacyPartial(%s) = %q, %v, want %q, nil", tt.name, res.Aggregate, err, tt.want)
			}
			if got := LegacyPartialAggregate(filesOf(tt.files)); got != tt.want {
				t.Errorf("LegacyPartialAggregate(files of %s) = %q, want %q", tt.name, got, tt.want)
			}
			for _, f := range res.Files {
				if !IsLegacyPartialName(f.Path) {
					t.Errorf("CollectLegacyPartial(%s) hashed %q, which is not covered", tt.name, f.Path)
				}
			}
		})
	}
}

// TestLegacyPartialFormula recomputes the partial aggregate from the
// contract's words: only root-level covered names, digests sorted and
// concatenated without separator or paths; input order does not matter.
func TestLegacyPartialFormula(t *testing.T) {
	files := []File{
		{"tokenizer.json", sumHex("t")},
		{"weights.bin", sumHex("w")},
		{"config.json", sumHex("c")},
		{"sub/tokenizer.model", sumHex("s")},
		{"mm_projector.bin", sumHex("m")},
	}
	digests := []string{sumHex("t"), sumHex("c"), sumHex("m")}
	slices.Sort(digests)
	want := sumHex(strings.Join(digests, ""))
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	for _, in := range [][]File{files, reversed} {
		if got := LegacyPartialAggregate(in); got != want {
			t.Errorf("LegacyPartialAggregate(%v) = %q, want %q", in, got, want)
		}
	}
	if got, _ := Aggregate(files); got == want {
		t.Fatal("test is vacuous: the full aggregate equals the partial one")
	}
}

// TestCollectEmptyFolder: an empty folder (as model_path or download_path)
// is an error naming the folder, never the empty-input hash.
func TestCollectEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, src := range []Source{
		{ModelPath: dir},
		{DownloadPath: dir},
	} {
		res, err := Collect(context.Background(), src, Options{})
		if !errors.Is(err, ErrArtifactsMissing) || !errors.Is(err, ErrNoFiles) || !strings.Contains(err.Error(), dir) {
			t.Errorf("Collect(%+v) = %q, %v, want an error naming %s wrapping ErrArtifactsMissing and ErrNoFiles", src, res.Aggregate, err, dir)
		}
	}
}
