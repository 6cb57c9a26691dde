#!/bin/sh
# Rebuilds the generated protocol code in this directory from
# proto/imageworks/backend/v1/backend.proto. Run through `go generate
# ./sdk/...` (or the Makefile's `make generate`).
#
# Only protoc must be preinstalled (Debian: protobuf-compiler). The two Go
# generators are built at pinned versions from the Go module proxy (or the
# module cache) into a temporary directory, so the output does not depend on
# whatever happens to be on PATH. Keep the versions in step with
# google.golang.org/protobuf and google.golang.org/grpc in go.mod.
set -eu

PROTOC_GEN_GO=google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
PROTOC_GEN_GO_GRPC=google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2

command -v protoc >/dev/null 2>&1 || {
	echo "gen.sh: protoc not found; install protobuf-compiler" >&2
	exit 1
}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT INT TERM
GOBIN="$bin" go install "$PROTOC_GEN_GO"
GOBIN="$bin" go install "$PROTOC_GEN_GO_GRPC"

root=../../../proto
protoc -I "$root" \
	--plugin=protoc-gen-go="$bin/protoc-gen-go" \
	--plugin=protoc-gen-go-grpc="$bin/protoc-gen-go-grpc" \
	--go_out=. --go_opt=module=github.com/imageworks-ai/loader/sdk/internal/pb \
	--go-grpc_out=. --go-grpc_opt=module=github.com/imageworks-ai/loader/sdk/internal/pb \
	"$root/imageworks/backend/v1/backend.proto"
