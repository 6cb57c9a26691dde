package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/imageworks-ai/loader/core/registry/internal/doc"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// SplitMarkerFile is written in the registry directory while a legacy
// split is in progress, and removed as its last step. Finding it means a
// split was interrupted: Open finishes it from the legacy file or its
// backup (whichever still holds the bytes the marker records) before
// anything else reads the layers.
const SplitMarkerFile = ".model_registry.split-pending"

// ErrInterruptedSplit: a legacy split was interrupted and cannot be
// finished now. The error says why and how to recover.
var ErrInterruptedSplit = errors.New("interrupted split of the legacy registry")

// SplitStep names a step of the legacy split, in order. Options.OnSplitStep
// is called just before each step that changes the registry directory, and
// with SplitDone once the split is complete.
type SplitStep string

// The steps of a legacy split.
const (
	SplitBackup       SplitStep = "backup"        // copy the legacy file to the backup name
	SplitMarker       SplitStep = "marker"        // write SplitMarkerFile
	SplitCurated      SplitStep = "curated"       // write the curated layer
	SplitDiscovered   SplitStep = "discovered"    // write the discovered layer
	SplitRemoveLegacy SplitStep = "remove-legacy" // remove model_registry.json
	SplitRemoveMarker SplitStep = "remove-marker" // remove SplitMarkerFile
	SplitDone         SplitStep = "done"
)

// SplitSteps returns every SplitStep in the order a split takes them.
func SplitSteps() []SplitStep {
	return []SplitStep{SplitBackup, SplitMarker, SplitCurated, SplitDiscovered, SplitRemoveLegacy, SplitRemoveMarker, SplitDone}
}

// splitMarker is the content of SplitMarkerFile: which bytes the split
// works from, and where their backup is.
type splitMarker struct {
	Format int    `json:"format"`
	SHA256 string `json:"legacy_sha256"` // of the legacy file's bytes
	Backup string `json:"backup"`        // base name of the backup holding them
}

const splitMarkerFormat = 1

// migrate splits a legacy single-file model_registry.json into the two
// layers, or finishes a split that was interrupted. Records with
// metadata.created_from_download true or backend "ollama" or "unassigned"
// go to the discovered layer, the rest to the curated one. A name that
// appears more than once keeps its first position and its last record (a
// warning names it).
//
// Every step is recoverable. Under the save lock: the legacy file is
// copied byte for byte to model_registry.backup.pre_split.json (or
// .pre_split.N.json when that exists: a backup is never overwritten); the
// marker records the SHA-256 of those bytes and the backup's name; the
// curated and discovered layers are written; the legacy file is removed
// (the snapshot takes its place); the marker is removed. A process killed
// before the marker exists leaves the legacy file alone (and maybe a
// backup), so the next run splits again; killed after, the next run finds
// the marker and redoes the split from whichever of the legacy file and
// the backup still holds the recorded bytes, overwriting the layers it may
// have half written. When neither does, it refuses with ErrInterruptedSplit
// and says how to recover: never a registry with fewer entries.
func (r *Registry) migrate(ctx context.Context) error {
	fl, err := r.lock(ctx)
	if err != nil {
		return r.splitFailed(fmt.Errorf("migrating legacy registry: %w", err))
	}
	defer fl.Unlock()
	r.removeSplitTemps()
	m, err := r.readMarker()
	if err != nil {
		return err
	}
	if m != nil {
		return r.resumeSplit(ctx, m)
	}
	for _, f := range []string{CuratedFile, DiscoveredFile} {
		if st, err := statStamp(r.path(f)); err != nil {
			return err
		} else if st.exists {
			return nil // another process migrated meanwhile
		}
	}
	legacy := r.path(SnapshotFile)
	data, _, err := safefile.ReadFile(legacy)
	if err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	l, err := parseLayer(legacy, data, stamp{})
	if err != nil {
		return err
	}
	r.step(SplitBackup)
	backup, err := r.backupLegacy(data)
	if err != nil {
		return err
	}
	m = &splitMarker{Format: splitMarkerFormat, SHA256: sum(data), Backup: filepath.Base(backup)}
	r.step(SplitMarker)
	if err := r.writeMarker(m); err != nil {
		return err
	}
	return r.finishSplit(l, m)
}

// resumeSplit finishes the split the marker m records, from the legacy
// file when it still holds the recorded bytes, else from the backup.
func (r *Registry) resumeSplit(ctx context.Context, m *splitMarker) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	legacy, backup := r.path(SnapshotFile), r.path(m.Backup)
	r.log.Warn("finishing a split of the legacy registry that was interrupted",
		"marker", r.path(SplitMarkerFile), "legacy", legacy, "backup", backup)
	data, fromLegacy := r.intact(legacy, m.SHA256), true
	if data == nil {
		data, fromLegacy = r.intact(backup, m.SHA256), false
	}
	if data == nil {
		return fmt.Errorf("registry directory %s: %w: %s records a split that did not finish, but neither %s nor %s holds the original (SHA-256 %s) any more; "+
			"restore the original single-file registry as %s, delete %s, %s and %s, and run again (or, if you know both layer files are complete, delete only %s)",
			r.dir, ErrInterruptedSplit, SplitMarkerFile, SnapshotFile, m.Backup, m.SHA256,
			SnapshotFile, CuratedFile, DiscoveredFile, SplitMarkerFile, SplitMarkerFile)
	}
	src := legacy
	if !fromLegacy {
		src = backup
	}
	l, err := parseLayer(src, data, stamp{})
	if err != nil {
		return err
	}
	if fromLegacy && r.intact(backup, m.SHA256) == nil {
		// The backup went missing or changed: make a new one before the
		// legacy file goes.
		nb, err := r.backupLegacy(data)
		if err != nil {
			return r.splitFailed(err)
		}
		m.Backup = filepath.Base(nb)
		if err := r.writeMarker(m); err != nil {
			return r.splitFailed(err)
		}
	}
	if err := r.finishSplit(l, m); err != nil {
		return r.splitFailed(err)
	}
	return nil
}

// finishSplit writes the layers split from the legacy layer l, removes the
// legacy file, then the marker.
func (r *Registry) finishSplit(l *layer, m *splitMarker) error {
	for _, name := range l.dupNames() {
		r.log.Warn("legacy registry holds a name more than once; the last record is kept", "file", l.file, "entry", name, "count", l.dups[name])
	}
	cur, dis := splitRecords(l)
	r.step(SplitCurated)
	if err := writeFileAtomic(r.curatedPath(), renderRecords(cur)); err != nil {
		return err
	}
	r.step(SplitDiscovered)
	if err := writeFileAtomic(r.discoveredPath(), renderRecords(dis)); err != nil {
		return err
	}
	r.step(SplitRemoveLegacy)
	if err := safefile.Remove(r.path(SnapshotFile)); err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	r.step(SplitRemoveMarker)
	if err := safefile.Remove(r.path(SplitMarkerFile)); err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	r.step(SplitDone)
	r.log.Info("split legacy registry into layers", "legacy", r.path(SnapshotFile), "backup", r.path(m.Backup),
		"curated", len(cur), "discovered", len(dis))
	return nil
}

// splitRecords applies the split rule to the legacy layer's records, each
// name once, at its first position, with its last record.
func splitRecords(l *layer) (cur, dis []*record) {
	seen := map[string]bool{}
	for _, rec := range l.recs {
		if rec.named {
			if seen[rec.name] {
				continue
			}
			seen[rec.name] = true
			rec = l.recs[l.index[rec.name]]
		}
		if discoveredByMigration(rec) {
			dis = append(dis, rec)
		} else {
			cur = append(cur, rec)
		}
	}
	return cur, dis
}

// step reports a split step to Options.OnSplitStep.
func (r *Registry) step(s SplitStep) {
	if r.opts.OnSplitStep != nil {
		r.opts.OnSplitStep(s)
	}
}

// splitFailed wraps an error that stopped an interrupted split from being
// finished with ErrInterruptedSplit and what to do.
func (r *Registry) splitFailed(err error) error {
	if _, merr := os.Lstat(r.path(SplitMarkerFile)); merr != nil {
		return err // no split pending: a plain failure
	}
	return fmt.Errorf("registry directory %s: %w: %s records a split that did not finish, and finishing it failed (fix the cause and run again; the legacy file or its backup is kept until it succeeds): %w",
		r.dir, ErrInterruptedSplit, SplitMarkerFile, err)
}

// readMarker reads SplitMarkerFile; nil when there is none.
func (r *Registry) readMarker() (*splitMarker, error) {
	path := r.path(SplitMarkerFile)
	data, _, err := safefile.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	bad := func(why string, err error) error {
		return fmt.Errorf("registry directory %s: %w: %s (left by a split of the legacy registry that did not finish) %s; "+
			"if %s or a %s backup holds the original, make sure it is %s, delete %s, %s and %s, and run again: %w",
			r.dir, ErrInterruptedSplit, path, why, SnapshotFile, BackupFile, SnapshotFile, CuratedFile, DiscoveredFile, SplitMarkerFile, err)
	}
	if err != nil {
		return nil, bad("cannot be read", err)
	}
	var m splitMarker
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, bad("is not valid", err)
	}
	if m.Format != splitMarkerFormat || len(m.SHA256) != 2*sha256.Size || !isBackupName(m.Backup) {
		return nil, bad("is not valid", fmt.Errorf("format %d, backup %q", m.Format, m.Backup))
	}
	return &m, nil
}

func (r *Registry) writeMarker(m *splitMarker) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(r.path(SplitMarkerFile), append(data, '\n'))
}

// intact returns path's bytes when they hash to want, else nil.
func (r *Registry) intact(path, want string) []byte {
	data, _, err := safefile.ReadFile(path)
	if err != nil || sum(data) != want {
		return nil
	}
	return data
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// isBackupName reports whether name is one backupLegacy chooses.
func isBackupName(name string) bool {
	stem := strings.TrimSuffix(BackupFile, ".json")
	if name == BackupFile {
		return true
	}
	n, ok := strings.CutPrefix(name, stem+".")
	if !ok {
		return false
	}
	n, ok = strings.CutSuffix(n, ".json")
	i, err := strconv.Atoi(n)
	return ok && err == nil && i > 1 && strconv.Itoa(i) == n
}

// removeSplitTemps deletes temporary files a split killed mid-write left.
// It runs under the save lock, so no writer is using them.
func (r *Registry) removeSplitTemps() {
	stem := strings.TrimSuffix(BackupFile, ".json")
	patterns := []string{filepath.Join(r.dir, "."+stem+"*.json.tmp-*")}
	for _, f := range []string{CuratedFile, DiscoveredFile, SplitMarkerFile} {
		patterns = append(patterns, safefile.TempPattern(r.path(f)))
	}
	for _, p := range patterns {
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			os.Remove(m)
		}
	}
}

// discoveredByMigration applies the legacy split rule to one record.
func discoveredByMigration(rec *record) bool {
	if !rec.IsObject() {
		return true
	}
	if rec.Get(keyMetadata).Get("created_from_download").Bool() {
		return true
	}
	switch strings.TrimSpace(rec.Get(keyBackend).Str()) {
	case "ollama", "unassigned":
		return true
	}
	return false
}

// backupLegacy copies the legacy file's bytes to the first backup name not
// taken, atomically (a crash never leaves a short backup), or returns the
// existing backup that already holds exactly these bytes.
func (r *Registry) backupLegacy(data []byte) (string, error) {
	for i := 1; ; i++ {
		name := BackupFile
		if i > 1 {
			name = strings.TrimSuffix(BackupFile, ".json") + "." + strconv.Itoa(i) + ".json"
		}
		p := r.path(name)
		err := safefile.WriteNew(p, data, 0o644)
		if errors.Is(err, fs.ErrExist) {
			if r.intact(p, sum(data)) != nil {
				return p, nil // a split killed before its marker made this one
			}
			continue
		}
		if err != nil {
			return "", fmt.Errorf("backing up legacy registry to %s: %w", p, err)
		}
		return p, nil
	}
}

// renderRecords writes records as a layer file in the reference layout.
func renderRecords(recs []*record) []byte {
	var b bytes.Buffer
	_ = doc.WriteArray(&b, len(recs), func(dst []byte, i int) ([]byte, error) { return doc.AppendRecord(dst, recs[i].Record), nil })
	return b.Bytes()
}
