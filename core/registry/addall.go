package registry

import (
	"context"
	"encoding/json"
)

// ctxCheckEvery is how many records a long loop handles between checks of
// its context.
const ctxCheckEvery = 256

// AddAll stages new entries for the discovered layer, as Add does for one,
// in a single pass over the registry, so staging n records costs O(n) and
// not n passes (an import of a server listing thousands of models). Either
// every record is staged or none is. Errors are Add's, for the first
// record at fault (a name given twice in records is a *DuplicateError
// too), and ctx's error when it ends.
func (r *Registry) AddAll(ctx context.Context, records []json.RawMessage) error {
	changes := make([]change, 0, len(records))
	seen := make(map[string]bool, len(records))
	for i, record := range records {
		if i%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, name, err := normalizeRecord(record)
		if err != nil {
			return err
		}
		if seen[name] {
			return &DuplicateError{File: r.discoveredPath(), Entry: name, Count: 2}
		}
		seen[name] = true
		changes = append(changes, change{kind: changeAdd, name: name, rec: rec})
	}
	if len(changes) == 0 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.revalidate(ctx); err != nil {
		return err
	}
	for _, ch := range changes {
		if _, ok := r.view.byName[ch.name]; ok {
			return &DuplicateError{File: r.discoveredPath(), Entry: ch.name, Count: 2}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return r.stage(changes...)
}
