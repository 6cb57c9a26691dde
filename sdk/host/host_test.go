package host_test

import (
	"errors"
	"net"
	"testing"

	"github.com/hashicorp/go-plugin"

	"github.com/imageworks-ai/loader/sdk/host"
)

func TestHandshake(t *testing.T) {
	h := host.Handshake()
	if h.ProtocolVersion != 1 || h.MagicCookieKey != "IMAGEWORKS_PLUGIN_MAGIC_COOKIE" || len(h.MagicCookieValue) < 32 {
		t.Errorf("Handshake() = %+v, want protocol 1, key IMAGEWORKS_PLUGIN_MAGIC_COOKIE, a long random value", h)
	}
	if h != host.Handshake() {
		t.Errorf("Handshake() changed between calls")
	}
}

func TestPluginSets(t *testing.T) {
	sets := host.PluginSets()
	p, ok := sets[1][host.PluginName]
	if !ok {
		t.Fatalf("PluginSets()[1] = %v, want a %q plugin", sets[1], host.PluginName)
	}
	if _, ok := p.(plugin.GRPCPlugin); !ok {
		t.Errorf("PluginSets()[1][%q] is %T, want a plugin.GRPCPlugin", host.PluginName, p)
	}
	for v := range sets {
		if v < 1 {
			t.Errorf("PluginSets() has protocol version %d, want versions from 1", v)
		}
	}
}

func TestParseReattach(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		want  map[string]*plugin.ReattachConfig
		err   bool
	}{
		{name: "empty", value: "", want: map[string]*plugin.ReattachConfig{}},
		{
			name:  "unix",
			value: `{"vllm":{"Protocol":"grpc","ProtocolVersion":1,"Pid":42,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin1/sock"}}}`,
			want: map[string]*plugin.ReattachConfig{"vllm": {
				Protocol: plugin.ProtocolGRPC, ProtocolVersion: 1, Pid: 42, Test: true,
				Addr: &net.UnixAddr{Net: "unix", Name: "/tmp/plugin1/sock"},
			}},
		},
		{
			name:  "tcp and two backends",
			value: `{"a":{"Protocol":"grpc","ProtocolVersion":1,"Pid":1,"Addr":{"Network":"tcp","String":"127.0.0.1:5000"}},"b":{"Protocol":"grpc","ProtocolVersion":1,"Pid":2,"Addr":{"Network":"unix","String":"/s"}}}`,
			want: map[string]*plugin.ReattachConfig{
				"a": {Protocol: plugin.ProtocolGRPC, ProtocolVersion: 1, Pid: 1, Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}},
				"b": {Protocol: plugin.ProtocolGRPC, ProtocolVersion: 1, Pid: 2, Addr: &net.UnixAddr{Net: "unix", Name: "/s"}},
			},
		},
		{name: "not json", value: `vllm=1`, err: true},
		{name: "net/rpc", value: `{"a":{"Protocol":"netrpc","Pid":1,"Addr":{"Network":"unix","String":"/s"}}}`, err: true},
		{name: "no pid", value: `{"a":{"Protocol":"grpc","Addr":{"Network":"unix","String":"/s"}}}`, err: true},
		{name: "bad network", value: `{"a":{"Protocol":"grpc","Pid":1,"Addr":{"Network":"udp","String":"x"}}}`, err: true},
		{name: "bad tcp address", value: `{"a":{"Protocol":"grpc","Pid":1,"Addr":{"Network":"tcp","String":"nope"}}}`, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := host.ParseReattach(tc.value)
			if tc.err {
				if !errors.Is(err, host.ErrBadReattach) {
					t.Errorf("ParseReattach(%q) error = %v, want one wrapping ErrBadReattach", tc.value, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReattach(%q) error = %v", tc.value, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ParseReattach(%q) = %v, want %v", tc.value, got, tc.want)
			}
			for name, w := range tc.want {
				g := got[name]
				if g == nil || g.Protocol != w.Protocol || g.ProtocolVersion != w.ProtocolVersion || g.Pid != w.Pid ||
					g.Test != w.Test || g.Addr.Network() != w.Addr.Network() || g.Addr.String() != w.Addr.String() {
					t.Errorf("ParseReattach(%q)[%q] = %+v, want %+v", tc.value, name, g, w)
				}
			}
		})
	}
}
