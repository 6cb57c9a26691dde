package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/imageworks-ai/loader/core"
	"github.com/imageworks-ai/loader/core/registry"
)

// InitCmd is `init`.
type InitCmd struct{}

// Run creates what the registry folder (or file) lacks; it needs no
// registry, so it opens none.
func (c *InitCmd) Run(ctx context.Context, a *App, opts core.Options) error {
	res, err := core.Init(ctx, opts)
	if err != nil {
		return err
	}
	if len(res.Created) == 0 && !res.CreatedDir {
		a.warnf("%s already holds a registry; nothing created", res.Dir)
	}
	return a.emit(res, func(w io.Writer) {
		row(w, "DIR", "CREATED")
		row(w, res.Dir, res.Created)
	})
}

// AddCmd is `add NAME --backend B ...`.
type AddCmd struct {
	Name          string   `arg:"" help:"The new entry's name (not an existing entry's name or alias)."`
	Backend       string   `required:"" predictor:"backend" help:"Backend serving it: vllm, ollama, lmdeploy, or a plugin's."`
	ModelPath     string   `name:"model-path" xor:"where" help:"backend_config.model_path: the model folder, or a scheme form such as ollama:/name:tag."`
	BaseURL       string   `name:"base-url" xor:"where,port" help:"backend_config.base_url: the OpenAI-compatible URL of a server running elsewhere (no password or key in it; see --api-key-env)."`
	Port          int      `xor:"port" help:"backend_config.port: the local server's port; default the backend's."`
	APIKeyEnv     string   `name:"api-key-env" help:"backend_config.api_key_env: the variable holding the server's API key."`
	ServedModelID string   `name:"served-model-id" help:"The id the server knows the model by; default the name."`
	Role          []string `predictor:"role" help:"A role (repeatable, in order)."`
	Capability    []string `predictor:"capability" help:"A capability, stored as {\"CAP\": true} (repeatable): vision, tools, ..."`
}

// Run adds the entry to the discovered layer and prints it.
func (c *AddCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	added, err := l.Add(ctx, core.NewEntry{
		Name: c.Name, Backend: c.Backend, ModelPath: c.ModelPath, BaseURL: c.BaseURL, Port: c.Port,
		APIKeyEnv: c.APIKeyEnv, ServedModelID: c.ServedModelID, Roles: c.Role, Capabilities: c.Capability,
	})
	if err != nil {
		return err
	}
	return a.emit(added, func(w io.Writer) {
		row(w, "NAME", "BACKEND")
		row(w, added.Name, added.Backend)
	})
}

// SetCmd is `set NAME KEY=VALUE...`.
type SetCmd struct {
	Name     string     `arg:"" predictor:"model" help:"The entry (its name or a unique alias)."`
	Settings []keyValue `arg:"" name:"KEY=VALUE" help:"A dotted key path and its value, e.g. backend_config.port=8001."`
}

// Help is set's long help: how a VALUE is read.
func (c *SetCmd) Help() string {
	return `All the KEY=VALUEs are saved together, or none is.

KEY is a dotted path: served_model_id, backend_config.port, metadata.note.
VALUE is read as JSON when it is valid JSON that fits the key's type
(8001, true, null, ["a","b"], {"k":1}, "quoted"); otherwise as a string;
for a key that takes a list of strings (roles, model_aliases,
backend_alternatives, backend_config.extra_args) a value that is not JSON
is split at commas: roles=caption,description. So served_model_id=123
stores the string "123"; quote a string that is valid JSON: display_name='"null"'.

Runtime-owned fields (artifacts, version_lock, probes, performance, the
download state) are refused: verify, lock, unlock and probe-vision write
them. An entry the curated file defines keeps its curated-owned fields
there: edit that file instead.`
}

// Run applies the settings and prints the entry's merged record (the
// keys set, as a table).
func (c *SetCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	settings := make([]core.Setting, len(c.Settings))
	keys := make([]string, len(c.Settings))
	for i, kv := range c.Settings {
		settings[i] = core.Setting(kv)
		keys[i] = kv.Key
	}
	ed, err := l.Set(ctx, c.Name, settings)
	if err != nil {
		return err
	}
	return a.emit(ed, func(w io.Writer) {
		row(w, "NAME", "SET")
		row(w, ed.Name, keys)
	})
}

// keyValue is one KEY=VALUE argument of set.
type keyValue core.Setting

// Decode splits the argument at its first "="; a missing "=" or an empty
// KEY is a usage error.
func (kv *keyValue) Decode(ctx *kong.DecodeContext) error {
	var s string
	if err := ctx.Scan.PopValueInto("KEY=VALUE", &s); err != nil {
		return err
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("%q is not KEY=VALUE", s)
	}
	*kv = keyValue{Key: k, Value: v}
	return nil
}

// RmCmd is `rm NAME`.
type RmCmd struct {
	Name string `arg:"" predictor:"model" help:"The entry (its name or a unique alias); only entries of the discovered layer."`
}

type removed struct {
	Removed string `json:"removed"`
}

// Run removes the entry from the discovered layer.
func (c *RmCmd) Run(ctx context.Context, a *App, l *core.Loader) error {
	name, err := l.Remove(ctx, c.Name)
	if err != nil {
		return err
	}
	return a.emit(removed{name}, func(w io.Writer) {
		row(w, "REMOVED")
		row(w, name)
	})
}

// registryHint adds to an error saying there is no registry how to point
// at one and how to make one (the message stays one line).
func registryHint(err error, g *Globals) error {
	if !errors.Is(err, registry.ErrNoRegistry) {
		return err
	}
	if g.RegistryFile != "" {
		return fmt.Errorf("%w; point at another with --registry-file FILE, or make this one with: %s --registry-file %s init",
			err, toolName, shellQuote(g.RegistryFile))
	}
	return fmt.Errorf("%w; point at one with --registry-dir DIR or IMAGEWORKS_REGISTRY_DIR, or make one there with: %s --registry-dir %s init",
		err, toolName, shellQuote(g.RegistryDir))
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and ./_-+:@,=.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./_-+:@,=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
