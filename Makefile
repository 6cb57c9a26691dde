# imageworks-loader: the two commands a newcomer needs are `make run` and `make test`.
GO ?= go
BIN := bin

.PHONY: all build run test
all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

test:
	$(GO) vet ./...
	$(GO) test -race ./...
