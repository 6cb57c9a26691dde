package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	backendpython "github.com/imageworks-ai/loader/examples/backend-python"
)

// scriptCondition decides the scripts' own conditions: [python] holds when
// a Python with grpc and grpc_tools is installed.
func scriptCondition(cond string) (bool, error) {
	if cond != "python" {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := backendpython.FindPython(ctx)
	return err == nil, nil
}

// pyplugin DIR: installs the example Python plugin imageworks-backend-pyopenai
// in DIR (guard the script with [!python] skip).
func cmdPyPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: pyplugin DIR")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	py, err := backendpython.FindPython(ctx)
	ts.Check(err)
	_, err = backendpython.Install(ctx, py, backendpython.ProtoDir(), ts.MkAbs(args[0]))
	ts.Check(err)
}
