package pluginhost

import (
	"bytes"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

func TestQuietLogger(t *testing.T) {
	var buf bytes.Buffer
	base := hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: &buf})
	q := newQuietLogger(base, "imageworks-backend-vllm")
	q.Error("plugin process exited", "error", "exit status 3")
	q.Warn("plugin failed to exit gracefully")
	q.Log(hclog.Error, "client")
	q.Named("stdio").Error("stream broke")
	q.With("k", "v").Warn("with")
	q.Named("imageworks-backend-vllm").Error("the plugin's own error line")
	got := buf.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "the plugin's own error line") {
		t.Errorf("at info level the quiet logger wrote %q, want only the plugin's own line", got)
	}
}
