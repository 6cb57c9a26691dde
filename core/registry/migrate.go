package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// migrate splits a legacy single-file model_registry.json into the two
// layers: records with metadata.created_from_download true or backend
// "ollama" or "unassigned" go to the discovered layer, the rest to the
// curated one. A name that appears more than once keeps its first position
// and its last record (a warning names it). The legacy file is first copied
// byte for byte to model_registry.backup.pre_split.json (or
// .pre_split.N.json when that exists: a backup is never overwritten), then
// the layers are written, then the legacy file is removed so the snapshot
// takes its place.
func (r *Registry) migrate(ctx context.Context) error {
	fl, err := r.lock(ctx)
	if err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	defer fl.Unlock()
	legacy := r.path(SnapshotFile)
	for _, f := range []string{CuratedFile, DiscoveredFile} {
		if st, err := statStamp(r.path(f)); err != nil {
			return err
		} else if st.exists {
			return nil // another process migrated meanwhile
		}
	}
	data, err := os.ReadFile(legacy)
	if err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	l, err := parseLayer(legacy, data, stamp{})
	if err != nil {
		return err
	}
	for _, name := range l.dupNames() {
		r.log.Warn("legacy registry holds a name more than once; the last record is kept", "file", legacy, "entry", name, "count", l.dups[name])
	}
	var cur, dis []*record
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
	backup, err := r.backupLegacy(data)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(r.curatedPath(), renderRecords(cur)); err != nil {
		return err
	}
	if err := writeFileAtomic(r.discoveredPath(), renderRecords(dis)); err != nil {
		return err
	}
	if err := os.Remove(legacy); err != nil {
		return fmt.Errorf("migrating legacy registry: %w", err)
	}
	if err := syncDir(r.dir); err != nil {
		return err
	}
	r.log.Info("split legacy registry into layers", "legacy", legacy, "backup", backup,
		"curated", len(cur), "discovered", len(dis))
	return nil
}

// discoveredByMigration applies the legacy split rule to one record.
func discoveredByMigration(rec *record) bool {
	if !rec.isObj {
		return true
	}
	if md, ok := rec.val("metadata"); ok {
		if v, ok := member(md, "created_from_download"); ok && boolean(v) {
			return true
		}
	}
	b, _ := rec.val("backend")
	switch strings.TrimSpace(str(b)) {
	case "ollama", "unassigned":
		return true
	}
	return false
}

// backupLegacy copies the legacy file to the first backup name not taken.
func (r *Registry) backupLegacy(data []byte) (string, error) {
	for i := 1; ; i++ {
		name := BackupFile
		if i > 1 {
			name = strings.TrimSuffix(BackupFile, ".json") + "." + strconv.Itoa(i) + ".json"
		}
		p := r.path(name)
		err := createExclusive(p, data)
		if errors.Is(err, fs.ErrExist) {
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
	if len(recs) == 0 {
		return []byte("[]\n")
	}
	out := []byte("[\n")
	for i, rec := range recs {
		out = append(out, ' ', ' ')
		out = appendRecord(out, rec)
		if i < len(recs)-1 {
			out = append(out, ',', '\n')
		}
	}
	return append(out, "\n]\n"...)
}
