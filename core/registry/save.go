package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/imageworks-ai/loader/sdk"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// Save persists the staged changes: under an exclusive lock on
// .model_registry.lock it re-reads the layers, replays only this process's
// changes on them, writes the discovered layer (the file in single-file
// mode) atomically when its bytes change, and regenerates the snapshot when
// anything changed or it is stale. The curated file is never written. With
// nothing staged and a fresh snapshot nothing is written. While Save waits
// for the file lock, the Registry's other methods do not block.
//
// Errors: lock and I/O errors naming the path; ctx's error when it ends
// before the discovered layer is written; a *ParseError when a layer no
// longer parses; ErrNotFound or ErrCuratedField when a staged change no
// longer applies to what is on disk. On any of these the
// discovered layer is not written and the changes stay staged.
//
// Once the discovered layer is written the save has happened: the snapshot
// is then written even if ctx ends, and a failure to write it is logged,
// not returned (the next Open or Save regenerates it). A snapshot that is
// only stale is regenerated under ctx; its failure is logged as well, except
// that ctx's end is returned.
//
// An Update whose precondition (SetExpectedHashIfAbsent, say) no longer
// holds for what is on disk is dropped, its stored value kept, and the rest
// saved; so is an Add whose name was stored meanwhile (adding is "set only
// if absent"). SaveWithResult reports which.
func (r *Registry) Save(ctx context.Context) error {
	_, err := r.save(ctx)
	return err
}

func (r *Registry) save(ctx context.Context) (SaveResult, error) {
	if r.opts.ReadOnly {
		return SaveResult{}, fmt.Errorf("registry %s: %w", r.dir, ErrReadOnly)
	}
	// The file lock is taken before r.mu: another process may hold it for
	// long, and Entries and Get must not wait for it.
	fl, err := r.lock(ctx)
	if err != nil {
		return SaveResult{}, err
	}
	defer fl.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.removeTemps()

	cur, dis, err := r.rereadLayers(ctx)
	if err != nil {
		return SaveResult{}, err
	}
	if err := r.checkLayers(cur, dis); err != nil {
		return SaveResult{}, err
	}
	nd, kept, err := applyChanges(cur, dis, r.changes, r.curatedPath(), true)
	if err != nil {
		return SaveResult{}, err
	}
	res := SaveResult{Kept: sortKept(kept)}
	wrote := false
	if len(r.changes) > 0 {
		out, nl := nd.render()
		if dis.st.exists && bytes.Equal(out, dis.data()) || !dis.st.exists && len(nl.recs) == 0 {
			nd = dis
		} else {
			if err := ctx.Err(); err != nil {
				return SaveResult{}, err
			}
			if err := writeFileAtomic(r.discoveredPath(), out); err != nil {
				return SaveResult{}, err
			}
			wrote = true
			if nl.st, err = statStamp(r.discoveredPath()); err != nil {
				// The layer is written; an unknown stamp makes the next
				// call re-read it.
				r.log.Warn("cannot stat the registry file just written; it will be re-read", "error", err)
				nl.st = stamp{exists: true, Version: safefile.Version{Size: -1}}
			}
			nd = nl
		}
	}
	r.changes = nil
	r.cur, r.dis = cur, nd
	r.setView(buildView(cur, nd))
	if r.single != "" {
		return res, nil
	}
	return res, r.saveSnapshot(ctx, wrote)
}

// withoutCredentials returns rec, an entry's merged record as the snapshot
// holds it, with its credentials masked: a backend_config.base_url (or a
// host given as a whole URL) that carries a password or a credential-like
// query value is replaced by its redacted form (sdk.RedactURL), and the
// value of each secret flag in backend_config.extra_args (--api-key KEY,
// --hf-token=TOKEN; see sdk.IsSecretFlag) by sdk.Masked. The snapshot is a
// file the tool writes for other programs to read, and no such file
// stores a credential. The curated layer, which people write, keeps its
// values as they are, and so does the discovered layer, the runtime state
// activate and select read.
//
// The value is replaced as a member, whatever JSON spelling the layer used
// for it (escaped slashes, \u escapes); the new record is a copy, and ok
// is false (nothing to do) when no value holds a credential.
func withoutCredentials(e *Entry, rec []byte) (out []byte, ok bool) {
	bc := e.BackendConfig()
	for _, f := range []struct{ key, url string }{{"base_url", bc.BaseURL}, {"host", bc.Host}} {
		if !strings.Contains(f.url, "://") {
			continue
		}
		if red := sdk.RedactURL(f.url); red != f.url {
			rec, ok = doc.Set(rec, []string{keyBackendConfig, f.key}, quoted(red)), true
		}
	}
	if len(sdk.SecretArgs(bc.ExtraArgs)) > 0 {
		if args, found := extraArgsOf(rec); found {
			rec, ok = doc.Set(rec, []string{keyBackendConfig, "extra_args"}, redactedArgs(args, sdk.RedactArgs(bc.ExtraArgs))), true
		}
	}
	return rec, ok
}

// extraArgsOf returns the raw backend_config.extra_args of rec, the member
// BackendConfig reads (the last of its name).
func extraArgsOf(rec []byte) (doc.Value, bool) {
	args := doc.Value(rec).Get(keyBackendConfig, "extra_args")
	return args, args.Kind() == doc.List
}

// redactedArgs returns the JSON array raw (extra_args) with its string
// elements replaced, in order, by strs (its strings as sdk.RedactArgs
// masked them); other elements stay as they were.
func redactedArgs(raw doc.Value, strs []string) []byte {
	elems := []any{}
	i := 0
	for v := range raw.Elems() {
		if v.Kind() == doc.String && i < len(strs) {
			elems = append(elems, strs[i])
			i++
		} else {
			elems = append(elems, json.RawMessage(v))
		}
	}
	out, _ := doc.Encode(elems) // strings and valid JSON values always encode
	return out
}

// quoted is s as a JSON string.
func quoted(s string) []byte {
	out, _ := doc.Encode(s) // a string always encodes
	return out
}
