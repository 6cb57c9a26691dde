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

// A lock made by the earlier Python CLI pins the partial aggregate: only
// root-level config and tokenizer files count, never the weights.
func ExampleLegacyPartialAggregate() {
	files := []artifact.File{
		{Path: "config.json", SHA256: "94ec732950a19c1cc787d0a5e319a52b6b98457a382801b6cbb8e6e2ea6cc94a"},
		{Path: "weights.bin", SHA256: "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9"},
		{Path: "sub/tokenizer.json", SHA256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
	}
	fmt.Println(artifact.LegacyPartialAggregate(files))
	fmt.Printf("%q\n", artifact.LegacyPartialAggregate(files[1:]))
	// Output:
	// e187695f7ce3672bfd34ea7282e9b5be122ec78177d7decb96bb6a4860d96c03
	// ""
}
