package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imageworks-ai/loader/internal/ollamastore"
	"github.com/imageworks-ai/loader/internal/standin"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// corpusDir is the real-world registry written by the reference
// implementation, copied into the project.
var corpusDir = filepath.Join("..", "..", "testdata", "imageworks-registry")

// scriptCmds are the custom commands the CLI scripts use.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"corpus":      cmdCorpus,
		"jsonq":       cmdJSONQ,
		"jsoneq":      cmdJSONEq,
		"diffwithin":  cmdDiffWithin,
		"envsubst":    cmdEnvsubst,
		"exits":       cmdExits,
		"vector3":     cmdVector3,
		"flipbyte":    cmdFlipByte,
		"fakeplugin":  cmdFakePlugin,
		"lonely":      cmdLonely,
		"dead":        cmdDead,
		"urlof":       cmdURLOf,
		"mkpng":       cmdMkPNG,
		"ollamastore": cmdOllamaStore,
		"copyplugin":  cmdCopyPlugin,
		"appendbyte":  cmdAppendByte,
		"pyplugin":    cmdPyPlugin,
		"hostport":    cmdHostPort,
		"waithttp":    cmdWaitHTTP,
	}
	for name, f := range lifecycleCmds() {
		cmds[name] = f
	}
	return cmds
}

// corpus [-legacy] [-snapshot FILE] DIR: copies the corpus's two layers into
// DIR (with -legacy, only legacy-single-file.json as DIR/model_registry.json;
// with -snapshot, also the reference snapshot to FILE).
func cmdCorpus(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! corpus")
	}
	legacy := false
	snapshot := ""
	for len(args) > 1 {
		switch args[0] {
		case "-legacy":
			legacy = true
			args = args[1:]
		case "-snapshot":
			snapshot = args[1]
			args = args[2:]
		default:
			ts.Fatalf("usage: corpus [-legacy] [-snapshot FILE] DIR")
		}
	}
	if len(args) != 1 {
		ts.Fatalf("usage: corpus [-legacy] [-snapshot FILE] DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	cp := func(from, to string) {
		data, err := os.ReadFile(filepath.Join(corpusDir, from))
		ts.Check(err)
		ts.Check(os.WriteFile(to, data, 0o644))
	}
	if legacy {
		cp("legacy-single-file.json", filepath.Join(dir, "model_registry.json"))
		return
	}
	cp("model_registry.curated.json", filepath.Join(dir, "model_registry.curated.json"))
	cp("model_registry.discovered.json", filepath.Join(dir, "model_registry.discovered.json"))
	if snapshot != "" {
		cp("model_registry.json", ts.MkAbs(snapshot))
	}
}

// jsonq FILE|stdout QUERY WANT: evaluates QUERY on the JSON document and
// compares the result, as compact JSON (strings unquoted), with WANT.
// QUERY is dot-separated steps: a key, an index [N], a selection
// [key=value] of the first array element whose key equals value, or # for
// a length.
func cmdJSONQ(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: jsonq FILE|stdout QUERY WANT")
	}
	var data []byte
	if args[0] == "stdout" {
		data = []byte(ts.ReadFile("stdout"))
	} else {
		data = []byte(ts.ReadFile(args[0]))
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		ts.Fatalf("jsonq: %s is not JSON: %v", args[0], err)
	}
	got, err := jsonQuery(doc, args[1])
	if err != nil {
		ts.Fatalf("jsonq %s: %v", args[1], err)
	}
	if (got == args[2]) == neg {
		ts.Fatalf("jsonq %s %s = %s, want %s%s", args[0], args[1], got, map[bool]string{true: "not "}[neg], args[2])
	}
}

func jsonQuery(doc any, query string) (string, error) {
	cur := doc
	for _, step := range splitQuery(query) {
		switch {
		case step == "#":
			switch v := cur.(type) {
			case []any:
				cur = float64(len(v))
			case map[string]any:
				cur = float64(len(v))
			default:
				return "", fmt.Errorf("# of a %T", cur)
			}
		case strings.HasPrefix(step, "[") && strings.HasSuffix(step, "]"):
			arr, ok := cur.([]any)
			if !ok {
				return "", fmt.Errorf("%s of a %T", step, cur)
			}
			inner := step[1 : len(step)-1]
			if k, v, ok := strings.Cut(inner, "="); ok {
				var found any
				for _, el := range arr {
					if m, ok := el.(map[string]any); ok && fmt.Sprint(m[k]) == v {
						found = el
						break
					}
				}
				if found == nil {
					return "", fmt.Errorf("no element with %s", inner)
				}
				cur = found
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 || i >= len(arr) {
				return "", fmt.Errorf("bad index %s", step)
			}
			cur = arr[i]
		default:
			m, ok := cur.(map[string]any)
			if !ok {
				return "", fmt.Errorf("key %q of a %T", step, cur)
			}
			cur, ok = m[step]
			if !ok {
				return "<absent>", nil
			}
		}
	}
	if s, ok := cur.(string); ok {
		return s, nil
	}
	out, err := json.Marshal(cur)
	return string(out), err
}

// splitQuery splits on dots outside brackets; a bracket step stands alone.
func splitQuery(q string) []string {
	var steps []string
	var b strings.Builder
	depth := 0
	flush := func() {
		if b.Len() > 0 {
			steps = append(steps, b.String())
			b.Reset()
		}
	}
	for _, r := range q {
		switch {
		case r == '[' && depth == 0:
			flush()
			depth++
			b.WriteRune(r)
		case r == ']' && depth == 1:
			depth--
			b.WriteRune(r)
			flush()
		case r == '.' && depth == 0:
			flush()
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return steps
}

// jsoneq A B: the two files hold arrays of entries equal entry by entry
// (matched by name), by value, key order aside.
func cmdJSONEq(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: jsoneq A B")
	}
	load := func(f string) map[string]any {
		var arr []map[string]any
		if err := json.Unmarshal([]byte(ts.ReadFile(f)), &arr); err != nil {
			ts.Fatalf("jsoneq: %s: %v", f, err)
		}
		m := make(map[string]any, len(arr))
		for _, e := range arr {
			m[fmt.Sprint(e["name"])] = e
		}
		return m
	}
	a, b := load(args[0]), load(args[1])
	var diffs []string
	for name, ea := range a {
		if eb, ok := b[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q only in %s", name, args[0]))
		} else if !reflect.DeepEqual(ea, eb) {
			diffs = append(diffs, fmt.Sprintf("%q differs", name))
		}
	}
	for name := range b {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q only in %s", name, args[1]))
		}
	}
	if (len(diffs) == 0) == neg {
		ts.Fatalf("jsoneq %s %s: %d differences: %s", args[0], args[1], len(diffs), strings.Join(diffs, "; "))
	}
}

// diffwithin OLD NEW NAME: every line that differs between OLD and NEW (same
// line count required) lies inside NAME's record in NEW, and at least one
// line differs.
func cmdDiffWithin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: diffwithin OLD NEW NAME")
	}
	oldLines := strings.Split(ts.ReadFile(args[0]), "\n")
	newLines := strings.Split(ts.ReadFile(args[1]), "\n")
	start, end := recordSpan(newLines, args[2])
	if start < 0 {
		ts.Fatalf("diffwithin: no record named %q in %s", args[2], args[1])
	}
	// Lines outside the record must be equal from the top and from the bottom.
	for i := 0; i < start; i++ {
		if i >= len(oldLines) || oldLines[i] != newLines[i] {
			ts.Fatalf("diffwithin: line %d changed outside %q", i+1, args[2])
		}
	}
	tail := len(newLines) - end
	for i := 1; i <= tail; i++ {
		if oldLines[len(oldLines)-i] != newLines[len(newLines)-i] {
			ts.Fatalf("diffwithin: line %d from the end changed outside %q", i, args[2])
		}
	}
	if bytes.Equal([]byte(ts.ReadFile(args[0])), []byte(ts.ReadFile(args[1]))) {
		ts.Fatalf("diffwithin: %s and %s are identical", args[0], args[1])
	}
}

// recordSpan finds the lines [start, end) of the top-level array element
// whose "name" is name, in a file laid out with indent=2.
func recordSpan(lines []string, name string) (int, int) {
	want, _ := json.Marshal(name)
	key := `    "name": ` + string(want) + `,`
	for i, l := range lines {
		if l != key && l != strings.TrimSuffix(key, ",") {
			continue
		}
		start := i
		for start > 0 && lines[start] != "  {" {
			start--
		}
		end := i
		for end < len(lines) && !strings.HasPrefix(lines[end], "  }") {
			end++
		}
		return start, end + 1
	}
	return -1, -1
}

// envsubst FILE...: replaces ${VAR} with the script's environment values.
func cmdEnvsubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! envsubst")
	}
	for _, f := range args {
		data := ts.ReadFile(f)
		data = os.Expand(data, func(k string) string { return ts.Getenv(k) })
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(data), 0o644))
	}
}

// exits N PROG ARGS...: runs PROG and checks that it exits with status N,
// keeping its stdout and stderr for the following commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG ARGS...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := execStatus(ts, args[1], args[2:]...)
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// vector3 DIR: writes the model folder of the contract's third published
// test vector: config.json, weights.bin (bytes 0..255 four times) and
// sub/tokenizer.json.
func cmdVector3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: vector3 DIR")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	weights := make([]byte, 0, 1024)
	for i := 0; i < 4; i++ {
		for b := 0; b < 256; b++ {
			weights = append(weights, byte(b))
		}
	}
	ts.Check(os.WriteFile(filepath.Join(dir, "config.json"), []byte("{\"architectures\": [\"Demo\"]}\n"), 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "weights.bin"), weights, 0o644))
	ts.Check(os.WriteFile(filepath.Join(dir, "sub", "tokenizer.json"), []byte("{}"), 0o644))
}

// flipbyte FILE OFFSET: inverts one byte of FILE.
func cmdFlipByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: flipbyte FILE OFFSET")
	}
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	data[off] ^= 0xff
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), data, 0o644))
}

// urlof VAR FILE: waits for a stand-in's URL file and sets VAR to the URL.
func cmdURLOf(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: urlof VAR FILE")
	}
	url, err := standin.WaitForFile(context.Background(), ts.MkAbs(args[1]), 20*time.Second)
	ts.Check(err)
	url = strings.TrimSpace(url)
	ts.Setenv(args[0], url)
	// VAR_HOST is host:port alone, for URLs with user info.
	_, host, _ := strings.Cut(url, "://")
	ts.Setenv(args[0]+"_HOST", host)
}

// mkpng FILE red|green|blue: writes a 64x64 PNG of one colour.
func cmdMkPNG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkpng FILE COLOUR")
	}
	c := map[string]color.RGBA{
		"red": {R: 230, A: 255}, "green": {G: 200, A: 255}, "blue": {B: 230, A: 255},
	}[args[1]]
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	ts.Check(png.Encode(&buf, img))
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), buf.Bytes(), 0o644))
}

// ollamastore DIR MODEL: writes an Ollama model store holding MODEL and
// sets WEIGHTS_BLOB to the path of its weights blob.
func cmdOllamaStore(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: ollamastore DIR MODEL")
	}
	blobs, err := ollamastore.Write(ts.MkAbs(args[0]), args[1], ollamastore.DefaultLayers())
	ts.Check(err)
	ts.Setenv("WEIGHTS_BLOB", blobs[1])
}

// copyplugin NAME DIR: copies the installed plugin imageworks-backend-NAME into DIR.
func cmdCopyPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: copyplugin NAME DIR")
	}
	path, err := exec.LookPath("imageworks-backend-" + args[0])
	ts.Check(err)
	copyExecutable(ts, path, filepath.Join(ts.MkAbs(args[1]), "imageworks-backend-"+args[0]))
}

// appendbyte FILE: appends one byte to FILE (an executable stays runnable).
func cmdAppendByte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: appendbyte FILE")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_APPEND|os.O_WRONLY, 0)
	ts.Check(err)
	_, err = f.Write([]byte{0})
	ts.Check(err)
	ts.Check(f.Close())
}

// lonely DIR: installs a copy of the CLI alone in DIR, with no plugin beside it.
func cmdLonely(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: lonely DIR")
	}
	path, err := exec.LookPath("imageworks-loader")
	ts.Check(err)
	copyExecutable(ts, path, filepath.Join(ts.MkAbs(args[0]), "imageworks-loader"))
}

func mustExecutable(ts *testscript.TestScript) string {
	exe, err := os.Executable()
	ts.Check(err)
	return exe
}

func copyExecutable(ts *testscript.TestScript, from, to string) {
	ts.Check(os.MkdirAll(filepath.Dir(to), 0o755))
	src, err := os.Open(from)
	ts.Check(err)
	defer src.Close()
	ts.Check(safefile.WriteExecutable(to, src, 0o755))
}
