package core

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/imageworks-ai/loader/sdk"
	"github.com/imageworks-ai/loader/sdk/plugintest"
)

// compact is v as compact JSON (v itself when it is not JSON).
func compact(v []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

func TestMain(m *testing.M) {
	plugintest.ServeIfNamed(configEchoName, configEcho{})
	os.Exit(m.Run())
}

// configEchoName is the backend configEcho serves as, run as a real plugin
// (the test binary, through plugintest.CopySelf and ServeIfNamed).
const configEchoName = "configecho"

// configEcho is a backend whose Resolve reports what it got of the entry's
// backend_config: a note "KEY=VALUE" for each key the entry's top-level
// "echo" list names, the value read as a plugin reads a key the sdk has no
// field for (Entry.Lookup) and compacted, and a note "config=JSON" of the typed Config.
type configEcho struct{ sdk.Unimplemented }

func (configEcho) Info(context.Context) (sdk.Info, error) {
	return sdk.Info{Name: configEchoName, Version: "1", DefaultPort: 9}, nil
}

func (configEcho) Resolve(_ context.Context, req sdk.ResolveRequest) (sdk.Resolution, error) {
	res := sdk.Resolution{Endpoint: "http://127.0.0.1:9/v1", InternalModelID: req.Entry.Name}
	var keys []string
	if raw, ok := req.Entry.Lookup("echo"); ok {
		if err := json.Unmarshal(raw, &keys); err != nil {
			return res, err
		}
	}
	for _, k := range keys {
		v, _ := req.Entry.Lookup("backend_config", k)
		res.Notes = append(res.Notes, k+"="+compact(v))
	}
	cfg, err := json.Marshal(req.Entry.Config)
	if err != nil {
		return res, err
	}
	res.Notes = append(res.Notes, "config="+string(cfg))
	return res, nil
}
