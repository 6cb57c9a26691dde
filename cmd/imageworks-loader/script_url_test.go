package main

import (
	"net"
	"net/url"

	"github.com/rogpeppe/go-internal/testscript"
)

// hostport VAR URL: sets VAR to URL's host:port and VAR_PORT to its port,
// for the OLLAMA_HOST forms that name no scheme.
func cmdHostPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: hostport VAR URL")
	}
	u, err := url.Parse(args[1])
	ts.Check(err)
	_, port, err := net.SplitHostPort(u.Host)
	ts.Check(err)
	ts.Setenv(args[0], u.Host)
	ts.Setenv(args[0]+"_PORT", port)
}
