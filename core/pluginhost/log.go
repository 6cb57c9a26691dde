package pluginhost

import (
	"github.com/hashicorp/go-hclog"
)

// quietLogger is the logger go-plugin gets for one plugin. go-plugin's own
// messages ("plugin process exited", "plugin failed to exit gracefully",
// ...) describe failures the host reports as errors anyway, so they are
// logged at debug level at most; the plugin's own log lines, which go-plugin
// logs through Named(the executable's base name), keep their levels.
type quietLogger struct {
	hclog.Logger
	pluginName string // base name of the plugin executable
}

func newQuietLogger(l hclog.Logger, pluginName string) hclog.Logger {
	return &quietLogger{Logger: l, pluginName: pluginName}
}

// Log logs at debug level at most.
func (q *quietLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	if level > hclog.Debug {
		level = hclog.Debug
	}
	q.Logger.Log(level, msg, args...)
}

// Info logs at debug level.
func (q *quietLogger) Info(msg string, args ...interface{}) { q.Logger.Debug(msg, args...) }

// Warn logs at debug level.
func (q *quietLogger) Warn(msg string, args ...interface{}) { q.Logger.Debug(msg, args...) }

// Error logs at debug level.
func (q *quietLogger) Error(msg string, args ...interface{}) { q.Logger.Debug(msg, args...) }

// Named passes the plugin's own logger through unchanged.
func (q *quietLogger) Named(name string) hclog.Logger {
	if name == q.pluginName {
		return q.Logger.Named(name)
	}
	return &quietLogger{Logger: q.Logger.Named(name), pluginName: q.pluginName}
}

// ResetNamed keeps the logger quiet under its new name.
func (q *quietLogger) ResetNamed(name string) hclog.Logger {
	return &quietLogger{Logger: q.Logger.ResetNamed(name), pluginName: q.pluginName}
}

// With keeps the logger quiet with the added key-value pairs.
func (q *quietLogger) With(args ...interface{}) hclog.Logger {
	return &quietLogger{Logger: q.Logger.With(args...), pluginName: q.pluginName}
}
