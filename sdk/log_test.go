package sdk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
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
