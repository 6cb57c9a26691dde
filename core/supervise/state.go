package supervise

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strings"
	"time"

	"github.com/imageworks-ai/loader/internal/pyfloat"
	"github.com/imageworks-ai/loader/internal/safefile"
)

// State is the state file's record of the server on a port. Its first five
// keys are the earlier Python tool's, with the same types, so the file can
// be shared with it; the others are this tool's and Python ignores them.
type State struct {
	// LogicalName is the registry entry the server serves.
	LogicalName string `json:"logical_name"`
	// ServedModelID is the id the server serves the model as.
	ServedModelID string `json:"served_model_id"`
	// Port is the server's port.
	Port int `json:"port"`
	// PID is the server's process id; it leads the server's process group.
	PID int `json:"pid"`
	// StartedAt is when the server was started, in Unix seconds.
	StartedAt PyFloat `json:"started_at"`

	// StartTicks is the process's start time as the kernel tells it (Linux
	// /proc/PID/stat field 22), so a reused pid is never taken for it; 0
	// when unknown (a state the Python tool wrote).
	StartTicks uint64 `json:"start_ticks,omitempty"`
	// Backend is the entry's backend.
	Backend string `json:"backend,omitempty"`
	// Endpoint is the server's OpenAI-compatible base URL.
	Endpoint string `json:"endpoint,omitempty"`
	// LogFile is where the server's output goes.
	LogFile string `json:"log_file,omitempty"`
	// Ready is false while the server is starting.
	Ready *bool `json:"ready,omitempty"`
}

// Started returns StartedAt as a time.
func (s State) Started() time.Time {
	sec, frac := math.Modf(float64(s.StartedAt))
	return time.Unix(int64(sec), int64(frac*1e9))
}

// PyFloat is a float64 that encodes as Python's json writes a float
// (1729760000.0, not 1729760000; 1e+20, not 100000000000000000000), so a
// state file the Python tool wrote is written back byte for byte.
type PyFloat float64

// MarshalJSON writes f as Python's repr(float) does (see internal/pyfloat).
// An infinity or NaN is an error wrapping pyfloat.ErrNotFinite.
func (f PyFloat) MarshalJSON() ([]byte, error) {
	return pyfloat.Append(nil, float64(f))
}

// readState reads the state file; a missing or empty file is no state.
func readState(path string) (*State, error) {
	data, _, err := safefile.ReadFile(path) // never blocks on a FIFO; refuses non-regular files
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(strings.TrimSpace(string(data))) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state file: %w", err)
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("state file %s: %w: %w", path, ErrBadState, err)
	}
	if s.PID <= 0 {
		return nil, fmt.Errorf("state file %s: pid %d: %w", path, s.PID, ErrBadState)
	}
	return &s, nil
}

// writeState replaces the state file atomically, so a reader (this tool or
// the Python one) sees the old file or the new one, never a part.
func writeState(path string, s State) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := mkdirFor(path); err != nil {
		return err
	}
	if err := safefile.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing state file: %w", err)
	}
	return nil
}

// clearState removes the state file.
func clearState(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clearing state file: %w", err)
	}
	return nil
}
