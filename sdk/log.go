package sdk

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

// NewLogger returns a logger for a plugin's own messages. It writes JSON
// lines to stderr in the shape the host's plugin library parses (go-hclog's
// "@level", "@message", "@timestamp"), so the host shows each message at its
// level, with its attributes, under the plugin's name. The level comes from
// IMAGEWORKS_PLUGIN_LOG_LEVEL (trace, debug, info, warn, error, off; default
// info).
//
// A plugin must never print to stdout: go-plugin reads its handshake there.
// Never log an API key.
func NewLogger() *slog.Logger {
	return newSlogLogger(os.Stderr, os.Getenv(wire.LogLevelEnv))
}

// levelOff is above every level slog emits.
const levelOff = slog.Level(1 << 20)

func newSlogLogger(w io.Writer, level string) *slog.Logger {
	lvl := slog.LevelInfo
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "trace", "debug":
		lvl = slog.LevelDebug
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	case "off":
		lvl = levelOff
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level:       lvl,
		ReplaceAttr: hclogAttr,
	}))
}

// hclogAttr renames slog's built-in keys to go-hclog's and formats them as
// go-plugin's parser wants.
func hclogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		t, ok := a.Value.Any().(time.Time)
		if !ok {
			return slog.Attr{}
		}
		return slog.String("@timestamp", t.UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	case slog.LevelKey:
		l, _ := a.Value.Any().(slog.Level)
		name := "info"
		switch {
		case l < slog.LevelInfo:
			name = "debug"
		case l >= slog.LevelError:
			name = "error"
		case l >= slog.LevelWarn:
			name = "warn"
		}
		return slog.String("@level", name)
	case slog.MessageKey:
		return slog.String("@message", a.Value.String())
	}
	return a
}
