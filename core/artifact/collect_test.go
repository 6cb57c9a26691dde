package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const demoAggregate = "966f88f1b512256ea45fefab54de413121f7a6a1141b56b2b215ffa09127725d"

// TestCollectDemoVector hashes the third published vector as a real folder
// and as an in-memory tree; both must give the published aggregate and the
// per-file hashes computed the obvious way.
func TestCollectDemoVector(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, demoTree())
	want := filesOf(demoTree())
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"real folder", Options{}},
		{"real folder, one worker", Options{Workers: 1}},
		{"in-memory tree", Options{Open: mapOpener(mapTree(demoTree()))}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Collect(context.Background(), Source{ModelPath: dir}, tt.opts)
			if err != nil {
				t.Fatalf("Collect(%s) error = %v", dir, err)
			}
			if res.Aggregate != demoAggregate {
				t.Errorf("Collect(%s).Aggregate = %s, want %s", dir, res.Aggregate, demoAggregate)
			}
			if !reflect.DeepEqual(res.Files, want) {
				t.Errorf("Collect(%s).Files = %v, want %v", dir, res.Files, want)
			}
			if res.Root != dir || res.Selection != FromWalk || res.Bytes != 1024+28+2 {
				t.Errorf("Collect(%s) = root %q, selection %q, bytes %d, want %q, %q, %d", dir, res.Root, res.Selection, res.Bytes, dir, FromWalk, 1024+28+2)
			}
		})
	}
}

// TestCollectSelection checks the contract order and root resolution.
func TestCollectSelection(t *testing.T) {
	base := t.TempDir()
	home := t.TempDir()
	files := map[string]string{"a.bin": "A", "b.bin": "B", "logs/run.log": "L", "dl/x.bin": "X", "dl/y.bin": "Y"}
	writeTree(t, filepath.Join(base, "model"), files)
	writeTree(t, filepath.Join(home, "models", "m"), files)
	sub := func(names ...string) []File {
		m := map[string]string{}
		for _, n := range names {
			m[n] = files[n]
		}
		return filesOf(m)
	}
	dlFiles := filesOf(map[string]string{"x.bin": "X", "y.bin": "Y"})
	all := sub("a.bin", "b.bin", "logs/run.log", "dl/x.bin", "dl/y.bin")
	tests := []struct {
		name     string
		src      Source
		wantSel  FileRule
		wantRoot string
		want     []File
	}{
		{"walk, relative to registry dir", Source{ModelPath: "model", BaseDir: base},
			FromWalk, filepath.Join(base, "model"), all},
		{"walk, home expanded", Source{ModelPath: "~/models/m", Home: home, BaseDir: base},
			FromWalk, filepath.Join(home, "models", "m"), all},
		{"listed files under model_path", Source{Listed: []string{"b.bin", "a.bin", "a.bin"},
			DownloadPath: filepath.Join(base, "model", "dl"), ModelPath: "model", BaseDir: base},
			FromListed, filepath.Join(base, "model"), sub("a.bin", "b.bin")},
		{"listed files under download_path when model_path is not local", Source{Listed: []string{"x.bin"},
			DownloadPath: "model/dl", ModelPath: "ollama:/m:tag", BaseDir: base},
			FromListed, filepath.Join(base, "model", "dl"), dlFiles[:1]},
		{"model_path wins over download_path", Source{DownloadPath: "model/dl", ModelPath: "model", BaseDir: base},
			FromWalk, filepath.Join(base, "model"), all},
		{"download_path walked without model_path", Source{DownloadPath: "model/dl", BaseDir: base},
			FromWalk, filepath.Join(base, "model", "dl"), dlFiles},
		{"download_path walked when model_path is a scheme form", Source{DownloadPath: "model/dl", ModelPath: "ollama:/m:tag", BaseDir: base},
			FromWalk, filepath.Join(base, "model", "dl"), dlFiles},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Collect(context.Background(), tt.src, Options{})
			if err != nil {
				t.Fatalf("Collect(%+v) error = %v", tt.src, err)
			}
			if res.Selection != tt.wantSel || res.Root != tt.wantRoot || !reflect.DeepEqual(res.Files, tt.want) {
				t.Errorf("Collect(%+v) = %q, %q, %v, want %q, %q, %v", tt.src, res.Selection, res.Root, res.Files, tt.wantSel, tt.wantRoot, tt.want)
			}
			agg, _ := Aggregate(tt.want)
			if res.Aggregate != agg {
				t.Errorf("Collect(%+v).Aggregate = %s, want %s", tt.src, res.Aggregate, agg)
			}
		})
	}
}

func TestCollectListedFolderRefused(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"x.bin": "X", "sub/y.bin": "Y"})
	_, err := Collect(context.Background(), Source{Listed: []string{"x.bin", "sub"}, ModelPath: dir}, Options{})
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), `"sub"`) {
		t.Errorf("Collect(listed files with a folder) error = %v, want ErrNotRegular naming \"sub\"", err)
	}
}

// TestCollectToolFolders: the walk leaves out .git/ and .cache/huggingface/
// at the root only (the published vector holds with them present), and
// CollectToolFolders hashes exactly what it left out.
func TestCollectToolFolders(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, demoTree())
	tool := map[string]string{".git/HEAD": "ref: refs/heads/main\n", ".git/objects/ab/cd": "blob",
		".cache/huggingface/download/config.json.metadata": "etag"}
	writeTree(t, dir, tool)
	kept := map[string]string{".cache/other/x": "kept", "sub/.git/y": "kept too"}
	writeTree(t, dir, kept)
	res, err := Collect(context.Background(), Source{ModelPath: dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range res.Files {
		paths = append(paths, f.Path)
	}
	want := []string{".cache/other/x", "config.json", "sub/.git/y", "sub/tokenizer.json", "weights.bin"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("Collect walked %v, want %v (tool folders at the root left out, nothing else)", paths, want)
	}
	for p := range kept {
		if err := os.Remove(filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if res, err = Collect(context.Background(), Source{ModelPath: dir}, Options{}); err != nil || res.Aggregate != demoAggregate {
		t.Errorf("Collect(demo with tool folders) = %s, %v, want the published vector %s", res.Aggregate, err, demoAggregate)
	}
	tres, err := CollectToolFolders(context.Background(), Source{ModelPath: dir}, Options{})
	if err != nil || tres.Selection != FromToolFolders || !reflect.DeepEqual(tres.Files, filesOf(tool)) {
		t.Errorf("CollectToolFolders = %v, %q, %v, want %v", tres.Files, tres.Selection, err, filesOf(tool))
	}
	for _, f := range tres.Files {
		if !InToolFolder(f.Path) {
			t.Errorf("InToolFolder(%q) = false, want true", f.Path)
		}
	}
	if InToolFolder("sub/.git/y") || InToolFolder(".cache/other/x") || InToolFolder(".gitignore") {
		t.Error("InToolFolder is true outside the tool folders at the root")
	}
	empty := t.TempDir()
	writeTree(t, empty, demoTree())
	if tres, err := CollectToolFolders(context.Background(), Source{ModelPath: empty}, Options{}); err != nil || len(tres.Files) != 0 {
		t.Errorf("CollectToolFolders(no tool folders) = %v, %v, want no files and no error", tres.Files, err)
	}
}

func TestCollectMissing(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.bin": "A"})
	gone := filepath.Join(dir, "gone")
	notDir := filepath.Join(dir, "a.bin")
	tests := []struct {
		name    string
		src     Source
		mention string
		extra   error
	}{
		{"missing folder", Source{ModelPath: gone}, gone, os.ErrNotExist},
		{"folder is a file", Source{ModelPath: notDir}, notDir, nil},
		{"missing folder with manifest", Source{Listed: []string{"a.bin"}, ModelPath: gone}, gone, nil},
		{"scheme model_path", Source{ModelPath: "ollama:/qwen3:8b"}, "ollama:/qwen3:8b", ErrNoLocalPath},
		{"empty model_path", Source{}, "model_path", ErrNoLocalPath},
		{"manifest files gone", Source{Listed: []string{"a.bin", "b.bin", "c/d.bin"}, ModelPath: dir}, "b.bin, c/d.bin", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Collect(context.Background(), tt.src, Options{})
			if !errors.Is(err, ErrArtifactsMissing) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("Collect(%+v) error = %v, want ErrArtifactsMissing mentioning %q", tt.src, err, tt.mention)
			}
			if tt.extra != nil && !errors.Is(err, tt.extra) {
				t.Errorf("Collect(%+v) error = %v, want it to wrap %v too", tt.src, err, tt.extra)
			}
		})
	}
	_, err := Collect(context.Background(), Source{Listed: []string{"a.bin", "b.bin"}, ModelPath: dir}, Options{})
	var me *MissingFilesError
	if !errors.As(err, &me) || !slices.Equal(me.Paths, []string{"b.bin"}) || me.Root != dir {
		t.Errorf("Collect(manifest with b.bin gone) error = %#v, want *MissingFilesError{%q, [b.bin]}", err, dir)
	}
}

func TestCollectHomeRequired(t *testing.T) {
	_, err := Collect(context.Background(), Source{ModelPath: "~/models/x"}, Options{})
	if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "~/models/x") {
		t.Errorf("Collect(~ without Home) error = %v, want ErrInvalidPath naming the path", err)
	}
}

// TestCollectSymlinksInside: links to files inside the folder count under
// the link's name; links to folders and dangling links are not files.
func TestCollectSymlinksInside(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"weights.bin": "W", "sub/cfg.json": "C"})
	for link, target := range map[string]string{"alias.bin": "weights.bin", "sub/up.bin": "../weights.bin", "dirlink": "sub", "dangling": "nothing"} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	want := filesOf(map[string]string{"weights.bin": "W", "sub/cfg.json": "C", "alias.bin": "W", "sub/up.bin": "W"})
	res, err := Collect(context.Background(), Source{ModelPath: dir}, Options{})
	if err != nil || !reflect.DeepEqual(res.Files, want) {
		t.Errorf("Collect(folder with inner links) = %v, %v, want %v, nil", res.Files, err, want)
	}
	res, err = Collect(context.Background(), Source{ModelPath: dir, Listed: []string{"dirlink/cfg.json", "alias.bin"}}, Options{})
	want = filesOf(map[string]string{"dirlink/cfg.json": "C", "alias.bin": "W"})
	if err != nil || !reflect.DeepEqual(res.Files, want) {
		t.Errorf("Collect(manifest through inner links) = %v, %v, want %v, nil", res.Files, err, want)
	}
}

// TestCollectLargeFiles hashes files larger than several buffers, on one
// worker (which reads ahead when cores are spare) and on several, against
// crypto/sha256 over the whole content.
func TestCollectLargeFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for i, size := range []int{5*bufSize + 3, 2*bufSize + 1, bufSize} {
		data := make([]byte, size)
		for j := range data {
			data[j] = byte(j*7 + i)
		}
		files[string(rune('a'+i))+".bin"] = string(data)
	}
	writeTree(t, dir, files)
	want := filesOf(files)
	for _, workers := range []int{1, 2, 8} {
		res, err := Collect(context.Background(), Source{ModelPath: dir}, Options{Workers: workers})
		if err != nil || !reflect.DeepEqual(res.Files, want) {
			t.Errorf("Collect(workers %d) = %v, %v, want %v, nil", workers, res.Files, err, want)
		}
	}
}
