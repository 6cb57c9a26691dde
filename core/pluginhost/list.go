package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/imageworks-ai/loader/sdk"
)

// Plugin describes one plugin found, for `imageworks-loader plugins`.
type Plugin struct {
	// Name is the backend name.
	Name string `json:"name"`
	// Version is the version the plugin's Info gives; "" when it could not
	// be asked.
	Version string `json:"version"`
	// Protocols are the protocol versions the plugin's Info lists, sorted;
	// empty (never nil, so JSON shows []) when it could not be asked.
	Protocols []int `json:"protocols"`
	// Path is the executable; "" for an attached plugin.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of the executable.
	SHA256 string `json:"sha256"`
	// Attached is set for a plugin attached through
	// IMAGEWORKS_REATTACH_BACKENDS.
	Attached bool `json:"attached,omitempty"`
	// FileVersion is the version in the file name
	// (imageworks-backend-NAME_vX.Y.Z gives X.Y.Z), "" when it has none.
	FileVersion string `json:"file_version,omitempty"`
	// Description and Homepage are what the plugin's Info says of itself.
	Description string `json:"description,omitempty"`
	Homepage    string `json:"homepage,omitempty"`
	// Implements lists the optional calls the plugin's Info says it
	// answers, sorted; empty (never nil) when it could not be asked.
	Implements []string `json:"implements"`
	// Shadowed is set for a plugin not used because another of the same
	// name comes first; Problem then names that one.
	Shadowed bool `json:"shadowed,omitempty"`
	// Problem says why the plugin cannot be used: it failed to start, is
	// not trusted, or is shadowed by another of the same name. "" when it
	// works.
	Problem string `json:"problem,omitempty"`
	// Notes are remarks that do not stop the plugin from working, such as
	// a file-name version that differs from the one its Info gives.
	Notes []string `json:"notes,omitempty"`
}

// List returns every plugin found, sorted by name, the one used for a name
// first (attached plugins before binaries, then search order), or an
// empty, non-nil slice when there is none. It starts each plugin used
// (subject to the lock file, and shared with Backend) to ask its Info.
//
// A plugin that cannot be hashed, trusted, started or asked gets a Problem
// instead of an error; after Close, every plugin used gets a Problem saying
// the host is closed (List still lists what is installed). List fails only
// on a bad environment variable (the configuration error Backend also
// returns) or when ctx is done (ctx's error).
func (h *Host) List(ctx context.Context) ([]Plugin, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	cands, err := discover(ctx, h.searchDirs(), h.goos)
	if err != nil {
		return nil, err
	}
	out, used := h.found(cands)
	h.askInfo(ctx, out, used)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out, nil
}

// found lists the attached plugins (by name) and then the candidates, and
// maps each backend name to the index of the plugin used for it. A
// candidate shadowed by an earlier one, or whose binary cannot be hashed,
// has its Problem set.
func (h *Host) found(cands []candidate) (out []Plugin, used map[string]int) {
	out = make([]Plugin, 0, len(h.reattach)+len(cands))
	used = map[string]int{}
	for _, name := range slices.Sorted(maps.Keys(h.reattach)) {
		used[name] = len(out)
		out = append(out, Plugin{Name: name, Attached: true, Protocols: []int{}, Implements: []string{}})
	}
	for _, c := range cands {
		p := Plugin{Name: c.name, Path: c.path, Protocols: []int{}, Implements: []string{}}
		if _, v, ok := splitFileName(filepath.Base(c.path), h.goos); ok { // as discovery read it
			p.FileVersion = v
		}
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
			p.Shadowed = true
		} else {
			used[c.name] = len(out)
		}
		out = append(out, p)
	}
	return out, used
}

// askInfo fills in the Version and Protocols of each plugin used that has
// no Problem yet, starting the plugins concurrently; one that fails gets
// its error as Problem.
func (h *Host) askInfo(ctx context.Context, out []Plugin, used map[string]int) {
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
			if err := inst.wait(ctx); err != nil {
				out[k].Problem = problemText(err)
				return
			}
			describe(&out[k], inst.info)
		}()
	}
	wg.Wait()
}

// describe fills in what a plugin's Info says of itself, and notes a
// file-name version that disagrees with it.
func describe(p *Plugin, info sdk.Info) {
	p.Version = info.Version
	p.Description = info.Description
	p.Homepage = info.Homepage
	if len(info.Protocols) > 0 {
		p.Protocols = slices.Sorted(slices.Values(info.Protocols))
	}
	if len(info.Implements) > 0 {
		p.Implements = slices.Sorted(slices.Values(info.Implements))
	}
	if p.FileVersion != "" && strings.TrimPrefix(strings.ToLower(info.Version), "v") != p.FileVersion {
		p.Notes = append(p.Notes, fmt.Sprintf("file name says version %s but the plugin's Info says %q; rename the file or fix the version", p.FileVersion, info.Version))
	}
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
