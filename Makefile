# imageworks-loader. A newcomer needs two commands: `make run` and `make test`.
GO       ?= go
BIN      := bin
REGISTRY ?= configs
FUZZTIME ?= 30000x
# run works on a scratch copy of REGISTRY under bin/ (ignored by git), so
# commands that write (verify stamps last_verified) leave configs/ as
# committed; each run starts from a fresh copy.
SCRATCH  := $(BIN)/registry
LOADER   := $(BIN)/imageworks-loader --registry-dir $(SCRATCH)

.PHONY: all build run test vet unit fuzz example-test bench bench-serve bench-gateway bench-tools bench-select bench-verify generate clean test-ollama test-fleet

all: build

## build: the CLI (and imageworks-loader-fleet, the CLI with etcd's client) and the three bundled backend plugins, side by side in ./bin
# Static (CGO_ENABLED=0): no dynamic loader at exec, about 3 ms less per plugin start.
# imageworks-loader-fleet is the CLI with etcd's client (the "fleet" build tag): imageworks-loader
# runs it in its place when given --fleet, so the CLI without a fleet does not pay for etcd.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/ ./cmd/...
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -tags fleet -o $(BIN)/imageworks-loader-fleet ./cmd/imageworks-loader

## run: the main job on a scratch copy of the bundled registry (bin/registry): list it, resolve models through the plugins, verify the locked one
run: build
	rm -rf $(SCRATCH) && mkdir -p $(BIN) && cp -R $(REGISTRY) $(SCRATCH)
	$(LOADER) --output table list --all
	$(LOADER) --output table plugins
	$(LOADER) select qwen2.5-vl-7b --require-vision
	$(LOADER) select --role caption
	$(LOADER) select internlm2-chat-7b
	$(LOADER) --output table verify demo-tiny
	$(LOADER) --output table metrics demo-tiny

## test: vet (go vet and staticcheck, the example modules too), the whole suite (the libraries under the race detector; with the Python example plugin when python3-grpcio and python3-grpc-tools are installed), fuzzing for a few seconds, the example plugin module
test: vet unit fuzz example-test

# staticcheck at a fixed version through the module proxy: `go run pkg@version`
# builds it from its own go.mod (cached after the first run), so a machine
# with only Go runs it, and its dependencies stay out of the project's go.mod.
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# The example plugins are modules of their own: ./... does not reach them.
EXAMPLE_MODULES := examples/backend-llamacpp examples/backend-tgi
vet:
	$(GO) vet ./...
	$(GO) vet -tags fleet,realollama,realetcd ./cmd/imageworks-loader
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags fleet,realollama,realetcd ./cmd/imageworks-loader
	for m in $(EXAMPLE_MODULES); do (cd $$m && $(GO) vet ./... && $(STATICCHECK) ./...) || exit 1; done

# The CLI package's tests run the CLI, its plugins and stand-in servers as
# processes, hundreds of times: under the race detector each start costs
# several times more, which alone would take make test past five minutes on
# two cores. The libraries those processes are made of (core, sdk, plugins,
# httpapi, warm ...) run under the race detector in their own packages.
CLI_PKG := ./cmd/imageworks-loader
unit:
	$(GO) test -race -count=1 $$($(GO) list ./... | grep -v '/cmd/imageworks-loader$$')
	$(GO) test -count=1 $(CLI_PKG)

# Fuzzing by count, not by time: a -fuzztime duration sometimes ends in a bare
# "context deadline exceeded" with no failing input (golang/go#75804).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./core/registry
	$(GO) test -run '^$$' -fuzz '^FuzzMerge$$' -fuzztime $(FUZZTIME) ./core/registry
	$(GO) test -run '^$$' -fuzz '^FuzzImportListing$$' -fuzztime $(FUZZTIME) ./core

example-test:
	for m in $(EXAMPLE_MODULES); do (cd $$m && $(GO) test -count=1 ./...) || exit 1; done

## test-ollama: opt-in, not part of `test`: the CLI and plugins against a real Ollama serving a
## tiny model. Builds a CPU-only Ollama first when REAL_OLLAMA_DIR has none (about 12 minutes
## cold on 2 cores, once); point REAL_OLLAMA_DIR at an earlier build to reuse it.
REAL_OLLAMA_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/imageworks-loader/real-ollama
test-ollama:
	REAL_OLLAMA_DIR='$(REAL_OLLAMA_DIR)' tools/real-ollama/build.sh
	IMAGEWORKS_REAL_OLLAMA='$(REAL_OLLAMA_DIR)/bin/ollama' $(GO) test -tags realollama -count=1 -v -run '^TestRealOllama$$' ./cmd/imageworks-loader

## test-fleet: opt-in, not part of `test`: the fleet scripts (two hosts: two registry folders,
## two `serve --fleet` processes, a gateway) against a real etcd server, Debian's etcd-server
## package (`apt-get install etcd-server`; ETCD=path for another etcd binary). `make test` runs
## the same scripts, and the fleet's Go tests, against an embedded etcd.
ETCD ?= etcd
test-fleet:
	@command -v $(ETCD) >/dev/null || { echo "test-fleet: no $(ETCD) on PATH: apt-get install etcd-server (or ETCD=/path/to/etcd)"; exit 1; }
	IMAGEWORKS_REAL_ETCD='$(ETCD)' $(GO) test -tags realetcd -count=1 -v -run '^TestRealEtcd$$' ./cmd/imageworks-loader

## bench: Go benchmarks, then whole-process timings beside the reference's ways (run it on a quiet machine)
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./core/registry ./core/pluginhost ./sdk
	IMAGEWORKS_BENCH_SHARD_MB=160 IMAGEWORKS_BENCH_SINGLE_MB=400 $(GO) test -run '^$$' -bench . -benchtime 3x ./core/artifact
	IMAGEWORKS_BENCH_BIN='$(CURDIR)/$(BIN)' $(GO) test -run '^$$' -bench Process -benchtime 10x ./cmd/imageworks-loader
	$(MAKE) bench-verify bench-select

# The floors issue 11 holds the CLI to: a bare go-plugin host+plugin pair
# (one gRPC call, kill) and a plain Go read-and-hash loop, built like bin/.
bench-tools:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o $(BIN)/bench/ ./internal/procbench/bareplugin ./internal/procbench/hashloop

BENCH_RUNS ?= 40
## bench-select: whole-process select (and list) on the corpus against the bare go-plugin pair, interleaved
bench-select: build bench-tools
	$(GO) run ./internal/procbench -n $(BENCH_RUNS) -cmd 'bare=$(BIN)/bench/bareplugin' \
		-cmd "select=$(BIN)/imageworks-loader --registry-dir testdata/imageworks-registry select 'gpt-oss-20b_(MXFP4)'" \
		-cmd 'list=$(BIN)/imageworks-loader --registry-dir testdata/imageworks-registry list' \
		-ratio 'bare/select>=1.0' -ratio 'cpu:bare/select'

## bench-verify: verify's wall time against Python's hashlib loop and its CPU time against a plain Go loop
bench-verify: build bench-tools
	$(GO) run ./internal/procbench -loader $(BIN)/imageworks-loader -hashloop $(BIN)/bench/hashloop

## bench-serve: serve under wrk (32 connections) beside a bare net/http floor, then memory over a million selects (needs wrk)
bench-serve: build
	$(GO) run ./internal/servebench -loader $(BIN)/imageworks-loader -registry testdata/imageworks-registry

## bench-gateway: the gateway's swap time, requests per second and streamed-chunk delay on a stand-in vLLM that loads in 300 ms,
## beside the stand-in asked directly, a bare net/http ReverseProxy and, with LLAMA_SWAP=path (a llama-swap binary you built), llama-swap
LLAMA_SWAP ?=
bench-gateway: build
	$(GO) run ./internal/gatewaybench -loader $(BIN)/imageworks-loader $(if $(LLAMA_SWAP),-llama-swap '$(LLAMA_SWAP)')

## generate: rebuild the gRPC code from proto/ (needs protoc: apt-get install protobuf-compiler)
generate:
	$(GO) generate ./sdk/...

clean:
	rm -rf $(BIN)
