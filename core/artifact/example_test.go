package artifact_test

import (
	"context"
	"fmt"
	"io/fs"
	"testing/fstest"

	"github.com/imageworks-ai/loader/core/artifact"
)

func ExampleCollect() {
	tree := fstest.MapFS{
		"config.json":        {Data: []byte(`{"architectures": ["Demo"]}` + "\n")},
		"sub/tokenizer.json": {Data: []byte("{}")},
	}
	res, err := artifact.Collect(context.Background(),
		artifact.Source{ModelPath: "/models/demo"},
		artifact.Options{Open: func(string) (fs.FS, error) { return tree, nil }})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Files {
		fmt.Println(f.SHA256[:12], f.Path)
	}
	fmt.Println(res.Selection, res.Bytes)
	// Output:
	// 94ec732950a1 config.json
	// 44136fa355b3 sub/tokenizer.json
	// walk 30
}

func ExampleDiff() {
	old := []artifact.File{{Path: "weights.bin", SHA256: "aa"}, {Path: "config.json", SHA256: "bb"}}
	now := []artifact.File{{Path: "weights.bin", SHA256: "cc"}, {Path: "logs/run.log", SHA256: "dd"}}
	fmt.Println(artifact.Diff(old, now))
	// Output: changed: weights.bin; missing: config.json; added: logs/run.log
}
