package supervise

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Ports lists, ascending, the ports that have a state file: DefaultPort
// for the state file itself, P for its sibling with ".P" before the
// extension (see StatePath). A missing folder is no ports; nothing is
// created.
func (s *Supervisor) Ports() ([]int, error) {
	dir, base := filepath.Dir(s.opts.StateFile), filepath.Base(s.opts.StateFile)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state folder: %w", err)
	}
	var ports []int
	for _, de := range ents {
		name := de.Name()
		if name == base {
			ports = append(ports, DefaultPort)
			continue
		}
		mid, ok := strings.CutPrefix(name, stem+".")
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, ext); !ok {
			continue
		}
		// Only the name StatePath gives: digits, no sign or leading zero,
		// and never DefaultPort's (its state is the file itself).
		p, err := strconv.Atoi(mid)
		if err != nil || p <= 0 || p > 65535 || p == DefaultPort || strconv.Itoa(p) != mid {
			continue
		}
		ports = append(ports, p)
	}
	slices.Sort(ports)
	return ports, nil
}

// Servers returns the live servers of every port that has a state file,
// by port; a state whose process is gone is cleared as Current clears it.
func (s *Supervisor) Servers(ctx context.Context) ([]State, error) {
	ports, err := s.Ports()
	if err != nil {
		return nil, err
	}
	out := []State{}
	for _, p := range ports {
		st, err := s.Current(ctx, p)
		if err != nil {
			return nil, err
		}
		if st != nil {
			out = append(out, *st)
		}
	}
	return out, nil
}

// Running returns the state of the server on port when it is alive and
// ready, else nil. It only reads: no lock is taken, nothing is cleared or
// created (Current clears a state whose process is gone).
func (s *Supervisor) Running(port int) (*State, error) {
	st, err := readState(s.StatePath(port))
	if err != nil || st == nil {
		return nil, err
	}
	if (st.Ready != nil && !*st.Ready) || !s.alive(*st) {
		return nil, nil
	}
	return st, nil
}

// Find returns the port and state of the live, ready server that serves
// the entry called name (a state recording one of aliases, the entry's
// other names, does), or 0 and nil. It only reads, as Running does.
func (s *Supervisor) Find(name string, aliases ...string) (int, *State, error) {
	ports, err := s.Ports()
	if err != nil {
		return 0, nil, err
	}
	for _, p := range ports {
		st, err := s.Running(p)
		if err != nil {
			return 0, nil, err
		}
		if st != nil && names(*st, name, aliases) {
			return p, st, nil
		}
	}
	return 0, nil, nil
}
