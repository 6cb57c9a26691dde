// Package fleet is what several hosts running imageworks-loader share: the
// version-lock policy per logical name (a Pin), each host's observations
// (a Host: its advertised address, endpoints, the entries it knows, verified
// aggregates, probe results, what runs in its slots) and slot claims.
//
// Fleet is the seam core talks through. etcd (package core/fleet/etcdfleet)
// is its only distributed implementation; without a fleet, core holds a nil
// Fleet and runs no fleet code at all. docs/fleet.md documents the key
// layout and the fault behaviour.
//
// Every method that does I/O takes a context and returns within a bounded
// time when the fleet is unreachable: an error wrapping ErrUnavailable.
// Callers answer locally then, with a warning; they never block on the
// fleet and never lose local state because of it.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

var (
	// ErrUnavailable is wrapped by every error that means the fleet could
	// not be reached (or did not answer in time).
	ErrUnavailable = errors.New("fleet unreachable")
	// ErrConflict is wrapped by *ConflictError: the state changed since it
	// was read, so a write based on the old state was refused.
	ErrConflict = errors.New("fleet state changed since it was read")
)

// ConflictError reports a compare-and-swap that lost: Key was changed by
// someone else after the writer read it. Current is what the fleet holds
// now (a *Pin, a *SlotClaim or a *Host), nil when the key is gone.
type ConflictError struct {
	Key     string
	Current any
}

// Error names the key and, when known, who changed it.
func (e *ConflictError) Error() string {
	switch c := e.Current.(type) {
	case *Pin:
		if c != nil && c.By != "" {
			return fmt.Sprintf("%s: changed by host %s at %s: %s", e.Key, c.By, c.At.UTC().Format(time.RFC3339), ErrConflict)
		}
	case *SlotClaim:
		if c != nil {
			return fmt.Sprintf("%s: held by host %s for %s: %s", e.Key, c.Host, c.Model, ErrConflict)
		}
	case *Host:
		if c != nil {
			return fmt.Sprintf("%s: host id %s already published by another process (gone within one lease if that process died): %s", e.Key, c.ID, ErrConflict)
		}
	}
	return fmt.Sprintf("%s: %s", e.Key, ErrConflict)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// Fleet is the shared state of a group of hosts.
type Fleet interface {
	// Pin returns the fleet's version-lock policy for a logical name.
	// A name the fleet has no pin for returns a Pin with Revision 0 and
	// a nil error.
	Pin(ctx context.Context, name string) (Pin, error)
	// Pins returns every pin, sorted by name.
	Pins(ctx context.Context) ([]Pin, error)
	// PutPin writes p if the pin's revision is still p.Revision (0: only
	// if there is none), else returns a *ConflictError holding the
	// current pin. It returns p as stored, with its new Revision.
	PutPin(ctx context.Context, p Pin) (Pin, error)

	// Publish replaces this host's observations, kept under this
	// process's lease: they vanish when the process stops refreshing
	// them (dies, is cut off) for longer than the lease. Publishing again
	// after the fleet was unreachable grants a new lease.
	Publish(ctx context.Context, h Host) error
	// Hosts returns every live host's observations, sorted by ID. A
	// publishing process may answer from a watched cache.
	Hosts(ctx context.Context) ([]Host, error)

	// Claim takes the slot (host, port) for a model under this process's
	// lease. It fails with a *ConflictError when another process holds
	// it. The returned release gives it up.
	Claim(ctx context.Context, c SlotClaim) (release func(context.Context) error, err error)
	// Claims returns every held slot claim, sorted by host then port.
	Claims(ctx context.Context) ([]SlotClaim, error)

	// Close withdraws what this process published (revokes its lease)
	// and closes the connection.
	Close() error
}

// Pin is the fleet's version-lock policy for one logical name.
type Pin struct {
	// Name is the logical name.
	Name string `json:"name"`
	// Locked says the lock is enforced.
	Locked bool `json:"locked"`
	// ExpectedAggregate is the pinned aggregate sha256, "" for a lock
	// that pins on the next verify.
	ExpectedAggregate string `json:"expected_aggregate_sha256,omitempty"`
	// ExpectedFiles is the manifest the expected aggregate was made from,
	// so a violation can name the files that differ.
	ExpectedFiles []File `json:"expected_files,omitempty"`
	// By is the host that made the last change, At when.
	By string    `json:"by"`
	At time.Time `json:"at"`
	// Revision is the fleet's revision of this pin (etcd's mod revision);
	// 0 means the fleet has none. Not stored in the value.
	Revision int64 `json:"-"`
}

// File is one file of a pinned manifest.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Host is what one host observed, as it publishes it.
type Host struct {
	// ID is the host id (--host-id, default the host name).
	ID string `json:"id"`
	// Advertise is how other hosts reach this host's servers (--advertise).
	Advertise string `json:"advertise"`
	// Gateway is this host's gateway base URL, "" when it runs none.
	Gateway string `json:"gateway,omitempty"`
	// Serve is this host's HTTP API base URL, "" when it runs none.
	Serve string `json:"serve,omitempty"`
	// Updated is when these observations were made.
	Updated time.Time `json:"updated"`
	// Endpoints are the servers this host knows, with what they serve.
	Endpoints []Endpoint `json:"endpoints"`
	// Models are the registry entries this host knows (others may not),
	// with what it verified and probed.
	Models []Model `json:"models"`
	// Slots are what runs in this host's slots.
	Slots []Slot `json:"slots,omitempty"`
}

// Endpoint is one server a host knows, at its advertised address.
type Endpoint struct {
	URL     string `json:"url"`
	Backend string `json:"backend"`
	// Up says the server answered its last health check.
	Up bool `json:"up"`
	// Served are the model ids it serves.
	Served []string `json:"served,omitempty"`
	// Checked is when it was last checked.
	Checked time.Time `json:"checked"`
}

// Model is one registry entry as a host knows it.
type Model struct {
	Name            string          `json:"name"`
	Backend         string          `json:"backend"`
	Endpoint        string          `json:"endpoint"`
	InternalModelID string          `json:"internal_model_id"`
	Capabilities    map[string]bool `json:"capabilities,omitempty"`
	Roles           []string        `json:"roles,omitempty"`
	// Up and Served: the entry's endpoint is up and serves its id.
	Up     bool `json:"up"`
	Served bool `json:"served"`
	// Verified is the aggregate this host last verified, "" for none.
	Verified   string    `json:"verified_aggregate_sha256,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
	// Probe is the last vision probe's result, nil for none.
	Probe *Probe `json:"probe,omitempty"`
}

// Probe is a vision probe's outcome.
type Probe struct {
	Passed bool      `json:"passed"`
	At     time.Time `json:"at"`
}

// Slot is what runs on one of a host's ports.
type Slot struct {
	Port     int    `json:"port"`
	Model    string `json:"model"`
	Endpoint string `json:"endpoint"`
	PID      int    `json:"pid,omitempty"`
}

// SlotClaim is a leased claim on a host's port for a model.
type SlotClaim struct {
	Host  string    `json:"host"`
	Port  int       `json:"port"`
	Model string    `json:"model"`
	At    time.Time `json:"at"`
}
