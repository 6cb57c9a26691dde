#!/usr/bin/env bash
# Builds a CPU-only Ollama that really runs models, for `make test-ollama`, into
# $REAL_OLLAMA_DIR (default ~/.cache/imageworks-loader/real-ollama):
#   $DIR/bin/ollama   the server and CLI (Go + cgo: ggml and its CPU backend compiled in)
#   $DIR/BUILD_INFO   what was built, from where, and how long it took
# Re-runnable: a binary of the wanted version already there is kept (FORCE=1 rebuilds),
# so point REAL_OLLAMA_DIR at an earlier build to reuse it. Needs go, gcc and g++; the
# three header-only libraries the module zip leaves out come from Debian (apt) and the Go
# module proxy. The tiny model the test serves is written by internal/ollamatiny.
#
# Why Ollama v0.17.4: later releases run inference only through llama.cpp's llama-server,
# which their CMake fetches from GitHub at build time; v0.17.4 is the newest on the Go
# module proxy that still vendors ggml/llama.cpp and builds with a plain `go build .`
# (cgo compiles ggml-base and the CPU backend, ml/backend/ggml/ggml/src/ggml-cpu/cpu.go),
# so no cmake, no GPU libraries and no network but the proxy and apt are needed.
# Build time on 2 shared cores: about 12-13 minutes with a cold Go build cache, about 4
# with a warm one.
set -euo pipefail
DIR=${REAL_OLLAMA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/imageworks-loader/real-ollama}
VERSION=${OLLAMA_VERSION:-v0.17.4}
mkdir -p "$DIR/bin"
log() { echo "build-ollama: $*" >&2; }
command -v go >/dev/null || { log "go is missing"; exit 1; }
command -v gcc >/dev/null && command -v g++ >/dev/null || { log "gcc/g++ are missing (apt-get install -y build-essential)"; exit 1; }

# the client's own version (pointed at a closed port, so a running server does not answer instead)
clientver() { OLLAMA_HOST=127.0.0.1:1 "$1" -v 2>&1 | sed -n 's/.*client version is //p'; }
moddir() { GOFLAGS=-mod=mod go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
t0=$(date +%s)
if [ -x "$DIR/bin/ollama" ] && [ "${FORCE:-0}" != 1 ] && [ "$(clientver "$DIR/bin/ollama")" = "${VERSION#v}" ]; then
  log "keeping $DIR/bin/ollama ($(clientver "$DIR/bin/ollama"))"
  exit 0
fi
log "downloading github.com/ollama/ollama@$VERSION through the Go module proxy"
MODDIR=$(moddir "github.com/ollama/ollama@$VERSION")
[ -d "$MODDIR" ] || { log "go mod download github.com/ollama/ollama@$VERSION failed"; exit 1; }
SRC=$DIR/src.$$
rm -rf "$SRC" && cp -r "$MODDIR" "$SRC" && chmod -R u+w "$SRC"
trap 'rm -rf "$SRC"' EXIT
[ -f "$SRC/ml/backend/ggml/ggml/src/ggml-cpu/cpu.go" ] || { log "$VERSION does not vendor the ggml CPU backend; pick an older OLLAMA_VERSION"; exit 1; }
# A module zip leaves out every vendor/*/ folder, so llama/llama.cpp/vendor/{nlohmann,stb,miniaudio}
# are missing (the cgo build fails on nlohmann/json_fwd.hpp and miniaudio/miniaudio.h). Put them
# back: nlohmann and stb from Debian, miniaudio.h from the Go module github.com/gen2brain/malgo
# (miniaudio 0.11.x, the series llama.cpp vendors).
if [ ! -f /usr/include/nlohmann/json_fwd.hpp ] || [ ! -f /usr/include/stb/stb_image.h ]; then
  log "installing nlohmann-json3-dev libstb-dev (apt)"
  aptget() { DEBIAN_FRONTEND=noninteractive apt-get install -y nlohmann-json3-dev libstb-dev >>"$DIR/apt.log" 2>&1; }
  aptget || { apt-get update >>"$DIR/apt.log" 2>&1 && aptget; } \
    || { log "apt-get install nlohmann-json3-dev libstb-dev failed (as root?): $(tail -2 "$DIR/apt.log")"; exit 1; }
fi
MALGO=$(moddir github.com/gen2brain/malgo@v0.11.24)
[ -f "$MALGO/miniaudio.h" ] || { log "no miniaudio.h from github.com/gen2brain/malgo"; exit 1; }
V=$SRC/llama/llama.cpp/vendor
mkdir -p "$V/nlohmann" "$V/stb" "$V/miniaudio"
cp -r /usr/include/nlohmann/. "$V/nlohmann/"; cp /usr/include/stb/stb_image.h "$V/stb/"; cp "$MALGO/miniaudio.h" "$V/miniaudio/"
chmod -R u+w "$V"
log "go build (cgo: ggml + llama.cpp + CPU backend); this takes several minutes on 2 cores"
(cd "$SRC" && CGO_ENABLED=1 go build -trimpath \
    -ldflags "-s -w -X github.com/ollama/ollama/version.Version=${VERSION#v}" \
    -o "$DIR/bin/ollama.new" .) >"$DIR/build.log" 2>&1 || { log "go build failed: $(tail -5 "$DIR/build.log")"; exit 1; }
mv "$DIR/bin/ollama.new" "$DIR/bin/ollama"
t1=$(date +%s)
{
  echo "ollama: $(clientver "$DIR/bin/ollama") from github.com/ollama/ollama@$VERSION (go build, cgo CPU backend)"
  echo "go: $(go version)"
  echo "build seconds: $((t1 - t0))"
} >"$DIR/BUILD_INFO"
cat "$DIR/BUILD_INFO" >&2
