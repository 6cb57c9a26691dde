// Package registrytest provides registry fixtures for tests and benchmarks:
// copies of the real-world corpus kept in the module's
// testdata/imageworks-registry and a generator of large registries shaped
// like it.
package registrytest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Corpus file names.
const (
	CuratedFile    = "model_registry.curated.json"
	DiscoveredFile = "model_registry.discovered.json"
	SnapshotFile   = "model_registry.json"
	LegacyFile     = "legacy-single-file.json"
)

// FindCorpus returns the corpus directory, testdata/imageworks-registry at
// the root of the module containing the working directory. The error names
// the directory searched from when no go.mod is found.
func FindCorpus() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("locating the corpus: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(dir, "testdata", "imageworks-registry")
			if _, err := os.Stat(filepath.Join(c, CuratedFile)); err != nil {
				return "", fmt.Errorf("locating the corpus: %w", err)
			}
			return c, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("locating the corpus: no go.mod above %s", wd)
		}
	}
}

// Corpus returns the corpus directory or fails the test.
func Corpus(t testing.TB) string {
	t.Helper()
	c, err := FindCorpus()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// CopyCorpus copies the corpus's two layer files (not its snapshot) into
// dir, failing the test on error.
func CopyCorpus(t testing.TB, dir string) {
	t.Helper()
	c := Corpus(t)
	for _, f := range []string{CuratedFile, DiscoveredFile} {
		copyFile(t, filepath.Join(c, f), filepath.Join(dir, f))
	}
}

// CopyLegacy copies the corpus's legacy single-file registry into dir as
// model_registry.json, the state a legacy migration starts from.
func CopyLegacy(t testing.TB, dir string) {
	t.Helper()
	copyFile(t, filepath.Join(Corpus(t), LegacyFile), filepath.Join(dir, SnapshotFile))
}

// ReadCorpusFile returns the bytes of one corpus file.
func ReadCorpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Corpus(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// WriteScaled writes a registry of n distinct entries shaped like the corpus
// into dir (both layers, no snapshot): the corpus's records repeated with
// the names suffixed "#0001", "#0002", ..., in the reference layout. n =
// 5000 gives about 70 MB of JSON.
func WriteScaled(dir string, n int) error {
	c, err := FindCorpus()
	if err != nil {
		return err
	}
	cur, err := readRecords(filepath.Join(c, CuratedFile))
	if err != nil {
		return err
	}
	dis, err := readRecords(filepath.Join(c, DiscoveredFile))
	if err != nil {
		return err
	}
	curByName := map[string]json.RawMessage{}
	for _, r := range cur {
		curByName[r.name] = r.raw
	}
	var outCur, outDis [][]byte
	for copyNo := 1; len(outDis) < n; copyNo++ {
		for _, r := range dis {
			if len(outDis) == n {
				break
			}
			name := fmt.Sprintf("%s#%04d", r.name, copyNo)
			outDis = append(outDis, rename(r.raw, r.name, name))
			if cr, ok := curByName[r.name]; ok {
				outCur = append(outCur, rename(cr, r.name, name))
			}
		}
	}
	if err := writeRecords(filepath.Join(dir, CuratedFile), outCur); err != nil {
		return err
	}
	return writeRecords(filepath.Join(dir, DiscoveredFile), outDis)
}

type rawRecord struct {
	name string
	raw  json.RawMessage
}

func readRecords(path string) ([]rawRecord, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]rawRecord, 0, len(raws))
	for _, r := range raws {
		var head struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(r, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, rawRecord{head.Name, r})
	}
	return out, nil
}

func quote(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSpace(buf.Bytes())
}

// rename renames a record from from to to, and suffixes its model_aliases
// the same way so copies never claim one alias together.
func rename(raw []byte, from, to string) []byte {
	old := append([]byte(`"name": `), quote(from)...)
	repl := append([]byte(`"name": `), quote(to)...)
	out := bytes.Replace(raw, old, repl, 1)
	var head struct {
		Aliases []string `json:"model_aliases"`
	}
	start := bytes.Index(out, []byte(`"model_aliases": [`))
	if json.Unmarshal(raw, &head) != nil || len(head.Aliases) == 0 || start < 0 {
		return out
	}
	end := start + bytes.IndexByte(out[start:], ']')
	list := slices.Clone(out[start:end])
	for _, a := range head.Aliases {
		list = bytes.Replace(list, quote(a), quote(a+strings.TrimPrefix(to, from)), 1)
	}
	return slices.Concat(out[:start], list, out[end:])
}

func writeRecords(path string, recs [][]byte) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	w := bufio.NewWriterSize(f, 1<<20)
	if len(recs) == 0 {
		_, err := w.WriteString("[]\n")
		return errors.Join(err, w.Flush())
	}
	w.WriteString("[\n")
	for i, r := range recs {
		w.WriteString("  ")
		w.Write(r)
		if i < len(recs)-1 {
			w.WriteString(",\n")
		}
	}
	w.WriteString("\n]\n")
	return w.Flush()
}
