// Package backendpython installs the example Python plugin
// imageworks-backend-pyopenai for tests: it finds a Python 3 that has
// Debian's python3-grpcio and python3-grpc-tools, generates the protocol's
// Python code from proto/, and puts the plugin where a host finds it.
// The plugin itself is the Python file imageworks-backend-pyopenai beside
// this one; nothing here is needed to use it.
package backendpython

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/imageworks-ai/loader/internal/safefile"
)

// Name is the plugin's backend name.
const Name = "pyopenai"

// ErrNoPython is wrapped by FindPython's error when no interpreter can
// import grpc and grpc_tools.
var ErrNoPython = errors.New("no python3 with grpc and grpc_tools (Debian: apt-get install python3-grpcio python3-grpc-tools)")

// FindPython returns the first Python 3 that can import grpc and
// grpc_tools.protoc: /usr/bin/python3 (Debian's, where the packages go),
// then python3 on PATH.
func FindPython(ctx context.Context) (string, error) {
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	var tried []string
	for _, py := range candidates {
		if _, err := os.Stat(py); err != nil {
			continue
		}
		tried = append(tried, py)
		if exec.CommandContext(ctx, py, "-c", "import grpc, grpc_tools.protoc").Run() == nil {
			return py, nil
		}
	}
	return "", fmt.Errorf("%w; tried %q", ErrNoPython, tried)
}

// Install puts the plugin in dir as imageworks-backend-pyopenai, run by
// python, with its protocol code generated from the .proto files under
// protoDir (the repository's proto folder) into dir/pyopenai_gen. It
// returns the plugin's path.
func Install(ctx context.Context, python, protoDir, dir string) (string, error) {
	src, err := os.ReadFile(filepath.Join(sourceDir(), "imageworks-backend-"+Name))
	if err != nil {
		return "", fmt.Errorf("installing the python plugin: %w", err)
	}
	gen := filepath.Join(dir, "pyopenai_gen")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		return "", fmt.Errorf("installing the python plugin: %w", err)
	}
	// grpc_tools brings google/protobuf/*.proto; find them for -I.
	wellKnown, err := exec.CommandContext(ctx, python, "-c",
		"import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), '_proto'))").Output()
	if err != nil {
		return "", fmt.Errorf("installing the python plugin: finding grpc_tools' protos: %w", err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, python, "-m", "grpc_tools.protoc",
		"-I", protoDir, "-I", strings.TrimSpace(string(wellKnown)),
		"--python_out="+gen, "--grpc_python_out="+gen,
		filepath.Join(protoDir, "imageworks", "backend", "v1", "backend.proto"))
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("installing the python plugin: generating code: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	_, body, _ := bytes.Cut(src, []byte("\n")) // the shebang names the interpreter found
	path := filepath.Join(dir, "imageworks-backend-"+Name)
	script := append([]byte("#!"+python+"\n"), body...)
	if err := safefile.WriteExecutable(path, bytes.NewReader(script), 0o755); err != nil {
		return "", fmt.Errorf("installing the python plugin: %w", err)
	}
	return path, nil
}

// sourceDir is the folder of this file, where the plugin's source is.
func sourceDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// ProtoDir is the repository's proto folder, found from this file.
func ProtoDir() string {
	return filepath.Join(sourceDir(), "..", "..", "proto")
}
