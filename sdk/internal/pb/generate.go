// Package pb holds the generated Go code of the backend plugin protocol
// (proto/imageworks/backend/v1/backend.proto). It is internal to the sdk:
// proto types never appear in the API of sdk, sdk/host or anything else.
//
// The generated files are committed. To rebuild them after editing the
// .proto, run `go generate ./sdk/...` (needs protoc on PATH; gen.sh builds
// pinned protoc-gen-go and protoc-gen-go-grpc itself).
package pb

//go:generate sh gen.sh
