package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/imageworks-ai/loader/sdk/internal/wire"
)

func TestNewLoggerShape(t *testing.T) {
	var buf bytes.Buffer
	l := newSlogLogger(&buf, "")
	l.Warn("server slow", "endpoint", "http://h:1/v1", "ms", 1200)
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	if got["@level"] != "warn" || got["@message"] != "server slow" || got["endpoint"] != "http://h:1/v1" || got["ms"] != 1200.0 {
		t.Errorf("log line = %v, want @level warn, @message, and the attributes", got)
	}
	ts, _ := got["@timestamp"].(string)
	// The layout go-plugin's host parses; any other makes it treat the line as text.
	if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", ts); err != nil {
		t.Errorf("@timestamp = %q, want go-plugin's layout: %v", ts, err)
	}
	for _, k := range []string{"time", "level", "msg"} {
		if _, ok := got[k]; ok {
			t.Errorf("log line has slog key %q, want it renamed", k)
		}
	}
}

func TestNewLoggerLevels(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string // levels that come out of Debug, Info, Warn, Error
	}{
		{"", []string{"info", "warn", "error"}},
		{"trace", []string{"debug", "info", "warn", "error"}},
		{"DEBUG", []string{"debug", "info", "warn", "error"}},
		{"warn", []string{"warn", "error"}},
		{"error", []string{"error"}},
		{"off", nil},
	} {
		var buf bytes.Buffer
		l := newSlogLogger(&buf, tc.env)
		l.Debug("d")
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if line == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			got = append(got, m["@level"].(string))
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("newSlogLogger(level %q) emitted %v, want %v", tc.env, got, tc.want)
		}
	}
}

// TestNewLoggerReadsLevel: NewLogger takes its level from the variable the
// host sets.
func TestNewLoggerReadsLevel(t *testing.T) {
	ctx := context.Background()
	t.Setenv(wire.LogLevelEnv, "error")
	if l := NewLogger(); l.Enabled(ctx, slog.LevelWarn) || !l.Enabled(ctx, slog.LevelError) {
		t.Errorf("%s=error: warn enabled %v, error enabled %v; want false, true", wire.LogLevelEnv, l.Enabled(ctx, slog.LevelWarn), l.Enabled(ctx, slog.LevelError))
	}
	t.Setenv(wire.LogLevelEnv, "")
	if l := NewLogger(); l.Enabled(ctx, slog.LevelDebug) || !l.Enabled(ctx, slog.LevelInfo) {
		t.Error("no level set: want info and above")
	}
}
