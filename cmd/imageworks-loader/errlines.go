package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/imageworks-ai/loader/core/supervise"
	"github.com/imageworks-ai/loader/sdk"
)

// printError writes the error a command ended with on stderr: one line,
// "imageworks-loader: ...", URLs redacted, the known secrets scrubbed and
// control characters escaped. A server that failed to start
// (supervise.StartError) has its log's last lines quoted first, one per
// line, indented, each scrubbed and escaped the same way; the final line
// is then the error without them.
func printError(w io.Writer, err error, secrets *knownSecrets) {
	msg := strings.TrimSpace(err.Error())
	var se *supervise.StartError
	if errors.As(err, &se) && len(se.LogTail) > 0 {
		fmt.Fprintf(w, "%s: the server's log, last lines:\n", toolName)
		for _, l := range se.LogTail {
			fmt.Fprintf(w, "    %s\n", termText(secrets.redact(sdk.RedactText(strings.TrimRight(l, "\r\n")))))
		}
		short := *se
		short.LogTail = nil
		msg = strings.Replace(msg, se.Error(), short.Error(), 1)
	}
	fmt.Fprintf(w, "%s: %s\n", toolName, termText(secrets.redact(flatText(msg))))
}
