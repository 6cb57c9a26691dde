package pluginhost

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"
)

// Plugin describes one plugin found, for `imageworks-loader plugins`.
type Plugin struct {
	// Name is the backend name.
	Name string `json:"name"`
	// Version and Protocols are what the plugin's Info says; empty when it
	// could not be asked.
	Version   string `json:"version"`
	Protocols []int  `json:"protocols"`
	// Path is the executable; "" for an attached plugin.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the executable.
	SHA256 string `json:"sha256"`
	// Attached is set for a plugin attached through
	// IMAGEWORKS_REATTACH_BACKENDS.
	Attached bool `json:"attached,omitempty"`
	// Problem says why the plugin cannot be used: it failed to start, is
	// not trusted, or is shadowed by another of the same name. "" when it
	// works.
	Problem string `json:"problem,omitempty"`
}

// List returns every plugin found, sorted by name, the one used for a name
// first (attached plugins before binaries, then search order). It starts
// each plugin used (subject to the lock file, and shared with Backend) to
// ask its Info; a plugin that fails gets a Problem instead of an error.
// List fails only on a bad environment variable or after Close.
func (h *Host) List(ctx context.Context) ([]Plugin, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	cands := discover(h.searchDirs(), h.goos)
	var out []Plugin
	used := map[string]int{} // name -> index in out of the plugin used
	for _, name := range slices.Sorted(maps.Keys(h.reattach)) {
		used[name] = len(out)
		out = append(out, Plugin{Name: name, Attached: true})
	}
	for _, c := range cands {
		p := Plugin{Name: c.name, Path: c.path}
		if sum, err := h.fileSHA256(c.path); err == nil {
			p.SHA256 = sum
		} else {
			p.Problem = err.Error()
		}
		if k, ok := used[c.name]; ok {
			by := out[k].Path
			if out[k].Attached {
				by = EnvReattach
			}
			p.Problem = "shadowed by " + by
		} else {
			used[c.name] = len(out)
		}
		out = append(out, p)
	}

	var wg sync.WaitGroup
	for name, k := range used {
		if out[k].Problem != "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, err := h.instance(ctx, name)
			if err != nil {
				out[k].Problem = problemText(err)
				return
			}
			out[k].Version = inst.info.Version
			out[k].Protocols = slices.Sorted(slices.Values(inst.info.Protocols))
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for k := range out {
		if out[k].Protocols == nil {
			out[k].Protocols = []int{}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// problemText is an error as a Plugin's Problem: without the "plugin NAME
// (PATH): " prefix, which the Plugin's fields already show.
func problemText(err error) string {
	var pe *PluginError
	if errors.As(err, &pe) {
		return pe.detail()
	}
	return err.Error()
}
