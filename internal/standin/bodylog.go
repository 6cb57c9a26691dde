package standin

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Environment variables that steer ServerMain beyond exec.go's.
const (
	// EnvChunkDelay: a duration waited before each streamed chunk that
	// carries text (Config.ChunkDelay), e.g. "5ms".
	EnvChunkDelay = "STANDIN_CHUNK_DELAY"
	// EnvBodyLog: append one JSON line per request received to this file
	// (Config.BodyLog): {"method":"POST","path":"/v1/chat/completions",
	// "body":"..."}.
	EnvBodyLog = "STANDIN_BODY_LOG"
	// EnvChunkStamp: "1" stamps every streamed chunk (Config.ChunkStamp).
	EnvChunkStamp = "STANDIN_CHUNK_STAMP"
)

// StampMember is the member Config.ChunkStamp adds to a streamed chunk.
const StampMember = "standin_sent_unix_ns"

// bodyLine is one line of Config.BodyLog.
type bodyLine struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	Body   string `json:"body"`
}

// logBody writes rec's line to w, if w is set. The caller serialises calls.
func logBody(w io.Writer, rec Request) {
	if w == nil {
		return
	}
	line, err := json.Marshal(bodyLine{rec.Method, rec.Path, string(rec.Body)})
	if err != nil {
		return
	}
	w.Write(append(line, '\n'))
}

// applyEnv sets cfg's ChunkDelay, ChunkStamp and BodyLog from
// EnvChunkDelay, EnvChunkStamp and EnvBodyLog. The returned function
// closes the log; it is never nil.
func applyEnv(cfg *Config, getenv func(string) string) (closeLog func(), err error) {
	closeLog = func() {}
	switch v := getenv(EnvChunkStamp); v {
	case "", "0":
	case "1":
		cfg.ChunkStamp = true
	default:
		return closeLog, fmt.Errorf("%s=%q: want 1 or 0", EnvChunkStamp, v)
	}
	if v := getenv(EnvChunkDelay); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return closeLog, fmt.Errorf("%s=%q: want a duration such as 5ms", EnvChunkDelay, v)
		}
		cfg.ChunkDelay = d
	}
	if name := getenv(EnvBodyLog); name != "" {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return closeLog, fmt.Errorf("%s: %w", EnvBodyLog, err)
		}
		cfg.BodyLog = f
		closeLog = func() { f.Close() }
	}
	return closeLog, nil
}
