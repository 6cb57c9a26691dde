package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"

	"github.com/hashicorp/go-plugin"
)

// ErrBadReattach is wrapped by the errors of ParseReattach.
var ErrBadReattach = errors.New("bad " + ReattachEnv + " value")

// reattach is the JSON form of a plugin.ReattachConfig, the shape Terraform
// uses for TF_REATTACH_PROVIDERS.
type reattach struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            reattachAddr
}

type reattachAddr struct {
	Network string
	String  string
}

// EncodeReattach returns the JSON object {"NAME": {...}} describing how to
// reattach to c, the value of ReattachEnv.
func EncodeReattach(name string, c *plugin.ReattachConfig) (string, error) {
	if c == nil || c.Addr == nil {
		return "", fmt.Errorf("encoding reattach config of %q: no address", name)
	}
	m := map[string]reattach{name: {
		Protocol:        string(c.Protocol),
		ProtocolVersion: c.ProtocolVersion,
		Pid:             c.Pid,
		Test:            c.Test,
		Addr:            reattachAddr{Network: c.Addr.Network(), String: c.Addr.String()},
	}}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encoding reattach config of %q: %w", name, err)
	}
	return string(b), nil
}

// ParseReattach parses a ReattachEnv value: a JSON object from backend name
// to reattach configuration, as printed by a plugin in debug mode. An empty
// value is an empty map. Errors wrap ErrBadReattach and name the backend at
// fault.
func ParseReattach(value string) (map[string]*plugin.ReattachConfig, error) {
	out := map[string]*plugin.ReattachConfig{}
	if value == "" {
		return out, nil
	}
	var m map[string]reattach
	if err := json.Unmarshal([]byte(value), &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReattach, err)
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		r := m[name]
		if r.Protocol != string(plugin.ProtocolGRPC) {
			return nil, fmt.Errorf("%w: backend %q: protocol %q, want %q", ErrBadReattach, name, r.Protocol, plugin.ProtocolGRPC)
		}
		if r.Pid <= 0 {
			return nil, fmt.Errorf("%w: backend %q: no pid", ErrBadReattach, name)
		}
		var addr net.Addr
		var err error
		switch r.Addr.Network {
		case "unix":
			addr, err = net.ResolveUnixAddr("unix", r.Addr.String)
		case "tcp":
			addr, err = net.ResolveTCPAddr("tcp", r.Addr.String)
		default:
			err = fmt.Errorf("unknown network %q", r.Addr.Network)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: backend %q: address: %w", ErrBadReattach, name, err)
		}
		out[name] = &plugin.ReattachConfig{
			Protocol:        plugin.ProtocolGRPC,
			ProtocolVersion: r.ProtocolVersion,
			Addr:            addr,
			Pid:             r.Pid,
			Test:            r.Test,
		}
	}
	return out, nil
}
