package wire

import (
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"
)

func TestEncodeParseReattach(t *testing.T) {
	for _, addr := range []net.Addr{
		&net.UnixAddr{Net: "unix", Name: "/tmp/plugin42/sock"},
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 41234},
	} {
		in := &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: 1, Addr: addr, Pid: 4242, Test: true}
		line, err := EncodeReattach("llama-cpp", in)
		if err != nil {
			t.Fatalf("EncodeReattach(%v) error = %v", addr, err)
		}
		got, err := ParseReattach(line)
		if err != nil {
			t.Fatalf("ParseReattach(%s) error = %v", line, err)
		}
		out := got["llama-cpp"]
		if len(got) != 1 || out == nil || out.Protocol != in.Protocol || out.ProtocolVersion != 1 || out.Pid != 4242 ||
			!out.Test || out.Addr.Network() != addr.Network() || out.Addr.String() != addr.String() {
			t.Errorf("ParseReattach(EncodeReattach(%+v)) = %+v, want it back", in, out)
		}
	}
}

func TestEncodeReattachNoAddr(t *testing.T) {
	if _, err := EncodeReattach("x", &plugin.ReattachConfig{}); err == nil {
		t.Error("EncodeReattach(no address) error = nil, want one")
	}
	if _, err := EncodeReattach("x", nil); err == nil {
		t.Error("EncodeReattach(nil) error = nil, want one")
	}
}

func TestParseReattachErrorNamesBackend(t *testing.T) {
	_, err := ParseReattach(`{"ollama":{"Protocol":"grpc","Pid":0,"Addr":{"Network":"unix","String":"/s"}}}`)
	if !errors.Is(err, ErrBadReattach) || !strings.Contains(err.Error(), `"ollama"`) {
		t.Errorf("ParseReattach(no pid) error = %v, want ErrBadReattach naming \"ollama\"", err)
	}
}

func TestParseReattachKeepsCause(t *testing.T) {
	_, err := ParseReattach(`{"ollama":`)
	var syntax *json.SyntaxError
	if !errors.Is(err, ErrBadReattach) || !errors.As(err, &syntax) {
		t.Errorf("ParseReattach(truncated) error = %v, want ErrBadReattach and a *json.SyntaxError", err)
	}
	_, err = ParseReattach(`{"ollama":{"Protocol":"grpc","Pid":1,"Addr":{"Network":"tcp","String":"no-port"}}}`)
	var addrErr *net.AddrError
	if !errors.Is(err, ErrBadReattach) || !errors.As(err, &addrErr) {
		t.Errorf("ParseReattach(bad tcp address) error = %v, want ErrBadReattach and a *net.AddrError", err)
	}
}
