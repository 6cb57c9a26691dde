package registry

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/suggest"
)

// File names inside a registry directory.
const (
	CuratedFile    = "model_registry.curated.json"
	DiscoveredFile = "model_registry.discovered.json"
	SnapshotFile   = "model_registry.json"
	BackupFile     = "model_registry.backup.pre_split.json"
	// FlockFile is the registry's write lock: an empty file a writer
	// holds an flock on while it saves. "Lock" alone means a version lock.
	FlockFile = ".model_registry.lock"
)

// Options configure Open and OpenFile.
type Options struct {
	// Logger receives warnings (duplicates, migration, snapshot problems);
	// nil discards them.
	Logger hclog.Logger
	// AllowDuplicates makes duplicate names in single-file mode a warning
	// (the later record wins) instead of an error. The CLI sets it from
	// IMAGEWORKS_ALLOW_REGISTRY_DUPES=1.
	AllowDuplicates bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReadOnly opens without writing anything: a stale snapshot is left
	// as it is, a legacy single file is read as it is instead of split
	// (a dry run writes nothing, not even the lock file), and Save fails
	// with ErrReadOnly.
	ReadOnly bool
	// OnSplitStep, when set, is called just before each step of a legacy
	// split that changes the registry directory, and with SplitDone at its
	// end (see SplitSteps). It is for progress reporting and for tests that
	// kill the process mid-split; it must not call back into the Registry.
	OnSplitStep func(SplitStep)
	// LockNotice is how long Save (and a legacy split) waits for another
	// process's lock before logging that it waits; 0 means
	// DefaultLockNotice, a negative value never logs.
	LockNotice time.Duration
}

// Registry is a loaded registry: a directory of layers (Open) or one file
// (OpenFile). Its methods are safe for concurrent use.
type Registry struct {
	mu     sync.Mutex
	dir    string
	single string // the file in single-file mode, "" in layered mode
	opts   Options
	log    hclog.Logger

	cur, dis *layer   // as last read from disk (cur is nil in single-file mode)
	changes  []change // staged, not yet saved
	view     *view
	gen      uint64 // counts the views built, for Generation
}

// view is the merged state: the layers with the staged changes applied.
type view struct {
	cur, dis *layer
	entries  []*Entry // sorted by name
	byName   map[string]*Entry
	aliases  map[string][]string // alias → claiming entries; nil until first needed
}

func buildView(cur, dis *layer) *view {
	n := len(dis.index)
	if cur != nil {
		n += len(cur.index)
	}
	v := &view{cur: cur, dis: dis, byName: make(map[string]*Entry, n)}
	v.entries = make([]*Entry, 0, n)
	for name, i := range dis.index {
		var c *record
		if cur != nil {
			c, _ = cur.lookup(name)
		}
		e := newEntry(name, c, dis.recs[i])
		v.byName[name] = e
		v.entries = append(v.entries, e)
	}
	if cur != nil {
		for name, i := range cur.index {
			if _, ok := v.byName[name]; ok {
				continue
			}
			e := newEntry(name, cur.recs[i], nil)
			v.byName[name] = e
			v.entries = append(v.entries, e)
		}
	}
	slices.SortFunc(v.entries, func(a, b *Entry) int { return cmp.Compare(a.name, b.name) })
	return v
}

func (o Options) logger() hclog.Logger {
	if o.Logger == nil {
		return hclog.NewNullLogger()
	}
	return o.Logger
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// ErrReadOnly: Save on a registry opened with Options.ReadOnly.
var ErrReadOnly = errors.New("opened read-only (a dry run): nothing is saved")

// Open loads the layered registry in dir. When neither layer exists but a
// legacy model_registry.json does, it is split into the two layers first
// (see the package doc). A stale snapshot is regenerated; failing to write
// it (a read-only directory) is logged, not returned.
//
// Errors: ErrNoRegistry (naming dir) when there is nothing to load, also
// wrapping os.Stat's error (fs.ErrNotExist, fs.ErrPermission) when dir
// cannot be read; a *ParseError (wrapping ErrSyntax) naming the file, line
// and column when a layer does not parse, in which case nothing is written;
// I/O errors naming the path, among them a FIFO or other non-regular file
// (safefile's ErrNotRegular) and a dangling symbolic link; an error
// wrapping ErrInterruptedSplit when a legacy split was interrupted and
// cannot be finished now (it says how to recover).
func Open(ctx context.Context, dir string, opts Options) (*Registry, error) {
	r := &Registry{dir: dir, opts: opts, log: opts.logger()}
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		if err == nil {
			err = errors.New("not a directory")
		}
		return nil, fmt.Errorf("registry directory %s: %w: %w", dir, ErrNoRegistry, err)
	}
	cst, err := statStamp(r.path(CuratedFile))
	if err != nil {
		return nil, err
	}
	dst, err := statStamp(r.path(DiscoveredFile))
	if err != nil {
		return nil, err
	}
	mst, err := statStamp(r.path(SplitMarkerFile))
	if err != nil {
		return nil, err
	}
	if mst.exists {
		if opts.ReadOnly {
			return nil, fmt.Errorf("registry directory %s: %w: %s says a split is unfinished; open the registry once without a dry run (imageworks-loader list) to finish it",
				dir, ErrInterruptedSplit, SplitMarkerFile)
		}
		// A split was interrupted: finish it before reading any layer.
		if err := r.migrate(ctx); err != nil {
			return nil, err
		}
	} else if !cst.exists && !dst.exists {
		sst, err := statStamp(r.path(SnapshotFile))
		if err != nil {
			return nil, err
		}
		if !sst.exists {
			return nil, fmt.Errorf("registry directory %s: %w: neither %s nor %s nor a legacy %s exists",
				dir, ErrNoRegistry, CuratedFile, DiscoveredFile, SnapshotFile)
		}
		if opts.ReadOnly {
			// A dry run reads the legacy file as it is and splits nothing;
			// duplicates resolve as the split resolves them (the later
			// record wins).
			r.single = r.path(SnapshotFile)
			r.opts.AllowDuplicates = true
		} else if err := r.migrate(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	if !r.opts.ReadOnly {
		r.refreshSnapshot(ctx)
	}
	return r, nil
}

// OpenFile loads a single registry file, which saves write back. Duplicate
// names are an error (a *DuplicateError wrapping ErrDuplicate naming the
// file and the entry) unless opts.AllowDuplicates, when the later record
// wins and a warning is logged. A missing file is ErrNoRegistry; a file that
// does not parse is a *ParseError.
func OpenFile(ctx context.Context, path string, opts Options) (*Registry, error) {
	r := &Registry{dir: filepath.Dir(path), single: path, opts: opts, log: opts.logger()}
	st, err := statStamp(path)
	if err != nil {
		return nil, err
	}
	if !st.exists {
		return nil, fmt.Errorf("registry file %s: %w: the file does not exist", path, ErrNoRegistry)
	}
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Dir returns the registry directory (the file's directory in single-file
// mode).
func (r *Registry) Dir() string { return r.dir }

// File returns the registry file in single-file mode, "" otherwise.
func (r *Registry) File() string { return r.single }

// load reads the layers from disk and rebuilds the view (with any staged
// changes replayed).
func (r *Registry) load(ctx context.Context) error {
	cur, dis, err := r.readLayers(ctx)
	if err != nil {
		return err
	}
	if err := r.checkLayers(cur, dis); err != nil {
		return err
	}
	r.setBase(cur, dis)
	return nil
}

// checkLayers reports duplicates and unnamed records: warnings, or in
// single-file mode without AllowDuplicates an error.
func (r *Registry) checkLayers(cur, dis *layer) error {
	for _, l := range []*layer{cur, dis} {
		if l == nil {
			continue
		}
		for _, name := range l.dupNames() {
			if r.single != "" && !r.opts.AllowDuplicates {
				return &DuplicateError{File: l.file, Entry: name, Count: l.dups[name]}
			}
			r.log.Warn("duplicate entry name; the later record wins", "file", l.file, "entry", name, "count", l.dups[name])
		}
		if n := l.unnamed(); n > 0 {
			r.log.Warn("records without a string name are ignored (kept on save)", "file", l.file, "count", n)
		}
	}
	return nil
}

func (r *Registry) setBase(cur, dis *layer) {
	r.cur, r.dis = cur, dis
	nd, _, _ := applyChanges(cur, dis, r.changes, r.curatedPath(), false)
	r.setView(buildView(cur, nd))
}

// setView makes v the merged state; Generation changes with it.
func (r *Registry) setView(v *view) {
	r.view = v
	r.gen++
}

// Generation returns a number that changes whenever the merged entries
// may have: a layer re-read, an edit staged, a save. Layers changed on
// disk are re-read first, as Entries does (a failed re-read is logged and
// the previous state kept). It lets a caller keep something derived from
// the entries (a list of their credentials, say) without listing them on
// every call.
func (r *Registry) Generation(ctx context.Context) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		r.log.Warn("registry changed on disk but could not be re-read; using the previous state", "error", err)
	}
	return r.gen
}

// Refresh re-reads the layers from disk unconditionally. Staged changes are
// kept and replayed on the new contents. On error the previous state stays.
// Errors are those of Open (*ParseError, I/O errors).
func (r *Registry) Refresh(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.load(ctx)
}

// Entries returns the merged entries sorted by name, staged changes
// included. A layer whose size or modification time changed since it was
// read is re-read first; if that fails the previous state is returned and
// the failure logged (Get and Refresh return it).
func (r *Registry) Entries(ctx context.Context) []*Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		r.log.Warn("registry changed on disk but could not be re-read; using the previous state", "error", err)
	}
	return slices.Clone(r.view.entries)
}

// Get returns the entry named name (surrounding spaces ignored), re-reading
// changed layers first. When no entry has that name, the one entry that
// lists it in model_aliases is returned (Update and Remove look names up
// the same way). Errors: one wrapping ErrNotFound and naming the entry; an
// *AliasError (ErrAmbiguousAlias) naming every entry when several claim the
// alias; a re-read failure (*ParseError, I/O).
func (r *Registry) Get(ctx context.Context, name string) (*Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		return nil, err
	}
	return r.get(name)
}

func (r *Registry) get(name string) (*Entry, error) { return r.view.lookup(name) }

// lookup finds the entry named name (surrounding spaces ignored), else the
// one entry claiming it as an alias.
func (v *view) lookup(name string) (*Entry, error) {
	n := strings.TrimSpace(name)
	if e, ok := v.byName[n]; ok {
		return e, nil
	}
	switch owners := v.aliasIndex()[n]; len(owners) {
	case 0:
		return nil, &NotFoundError{Name: name, Suggestions: suggest.Closest(n, v.knownNames())}
	case 1:
		return v.byName[owners[0]], nil
	default:
		return nil, &AliasError{Alias: n, Entries: slices.Clone(owners)}
	}
}

// knownNames lists every entry name and alias, for suggestions; only an
// unknown name pays for it.
func (v *view) knownNames() []string {
	idx := v.aliasIndex()
	out := make([]string, 0, len(v.entries)+len(idx))
	for _, e := range v.entries {
		out = append(out, e.name)
	}
	for a := range idx {
		out = append(out, a)
	}
	return out
}

// stage records changes, all or none, and rebuilds the view once.
func (r *Registry) stage(chs ...change) error {
	nd, _, err := applyChanges(r.view.cur, r.view.dis, chs, r.curatedPath(), true)
	if err != nil {
		return err
	}
	r.changes = append(r.changes, chs...)
	r.setView(buildView(r.view.cur, nd))
	return nil
}

// Update stages an edit of an existing entry: fn receives an *Edit whose
// Set calls change the entry in memory; Save persists them. When fn returns
// an error nothing is staged and that error is returned. An Update whose
// conditional edit (SetExpectedHashIfAbsent, ReplaceExpectedHash) found
// its precondition false stages nothing; one whose precondition fails at
// save time is dropped then (see SaveWithResult). fn must not call
// Update, Add, Remove or Save. Errors: one wrapping ErrNotFound for an
// unknown name; fn's error (e.g. a *CuratedFieldError from Set).
func (r *Registry) Update(ctx context.Context, name string, fn func(*Edit) error) error {
	r.mu.Lock()
	if err := r.revalidate(ctx); err != nil {
		r.mu.Unlock()
		return err
	}
	e, err := r.get(name)
	if err != nil {
		r.mu.Unlock()
		return err
	}
	r.mu.Unlock()
	ed := &Edit{name: e.name, cur: e.cur, work: e.dis, curFile: r.curatedPath(), single: r.single != ""}
	if err := fn(ed); err != nil {
		return err
	}
	if len(ed.ops) == 0 || ed.dropped {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stage(change{kind: changeSet, name: e.name, ops: ed.ops, pre: ed.pre})
}

// Add stages a new entry for the discovered layer (the single file in
// single-file mode), as imports do. record must be a JSON object with a
// non-empty string "name"; it is stored in the reference layout with its
// keys in their order. Errors: a *DuplicateError (ErrDuplicate) when the
// name exists; ErrInvalidEdit for a malformed record.
func (r *Registry) Add(ctx context.Context, record json.RawMessage) error {
	rec, name, err := normalizeRecord(record)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		return err
	}
	if _, ok := r.view.byName[name]; ok {
		return &DuplicateError{File: r.discoveredPath(), Entry: name, Count: 2}
	}
	return r.stage(change{kind: changeAdd, name: name, rec: rec})
}

// Remove stages the removal of an entry's discovered record(s); name may be
// a unique alias, as for Get. Save applies it to the layers as they are
// then: an entry another writer removed meanwhile fails the save with
// ErrNotFound, one the curated file defines by then with a
// *CuratedEntryError, and another writer's changes to other entries are
// kept. Errors: one wrapping ErrNotFound for an unknown name; an
// *AliasError for an ambiguous alias; a *CuratedEntryError (wrapping
// ErrCuratedField, naming the curated file) for an entry of the curated
// layer (people remove those).
func (r *Registry) Remove(ctx context.Context, name string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		return err
	}
	e, err := r.get(name)
	if err != nil {
		return err
	}
	return r.stage(change{kind: changeRemove, name: e.name})
}

// normalizeRecord validates a new record and writes it in the reference
// layout and spelling at array depth 1: always rewritten (not copied as
// AppendRecord copies a record already in the reference layout), so that
// escapes the reference would not write are spelled out.
func normalizeRecord(raw json.RawMessage) ([]byte, string, error) {
	r, err := parseRecord(raw)
	if err != nil {
		return nil, "", err
	}
	if !r.named || r.name == "" {
		return nil, "", fmt.Errorf("%w: a record needs a non-empty string \"name\"", ErrInvalidEdit)
	}
	return doc.Reformat(nil, r.Bytes(), 1), r.name, nil
}
