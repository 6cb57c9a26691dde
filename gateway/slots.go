package gateway

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// running is what a slot serves now.
type running struct {
	name     string // the entry
	endpoint string // the server's OpenAI-compatible base URL
	served   string // the id the server serves the model as
	started  bool   // the gateway started it: stopped when idle and at Close
	pinned   bool   // never swapped out or stopped while the gateway runs
	ttl      time.Duration
}

// slot is one port's server (or one loaded model): at most one entry runs
// in it at a time. Its fields are guarded by mu; changed is closed and
// replaced whenever something a waiter looks at changes.
type slot struct {
	key  string
	port int

	mu       sync.Mutex
	changed  chan struct{}
	current  *running
	busy     bool // a start, swap or stop is under way
	closed   bool // the gateway is closing: nothing starts any more
	inflight int
	lastUsed time.Time
	seq      uint64            // arrival numbers, for first-come order across models
	waiting  map[uint64]string // waiting requests: arrival number -> entry
	admitted map[uint64]bool   // waiters a start admitted: every one then waiting for its entry
}

func newSlot(key string, port int) *slot {
	return &slot{key: key, port: port, changed: make(chan struct{}), waiting: map[uint64]string{}, admitted: map[uint64]bool{}}
}

// notify wakes every waiter; the caller holds mu.
func (s *slot) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// earlierOther reports whether a request for another entry has been
// waiting since before arrival seq; the caller holds mu.
func (s *slot) earlierOther(seq uint64, name string) bool {
	for q, n := range s.waiting {
		if q < seq && n != name {
			return true
		}
	}
	return false
}

// lease is one request's use of a slot's server; release it when the
// answer is done.
type lease struct {
	s   *slot
	run running
}

func (l *lease) release(now time.Time) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	l.s.inflight--
	l.s.lastUsed = now
	if l.s.inflight == 0 {
		l.s.notify()
	}
}

// starter makes name's server ready in slot s, whose current server (prev,
// may be nil) it may stop; it returns what then runs. keep reports, on
// error, that prev still runs.
type starter func(ctx context.Context, s *slot, prev *running) (run *running, keep bool, err error)

// acquire waits until the slot serves r's entry and takes a lease on it.
// Requests are served first come, first served across entries: a request
// for the running entry waits while an earlier one for another entry
// waits for the swap; a swap admits every request then waiting for the
// entry it brings in, so a queue of mixed requests swaps once per batch,
// not once per request. A request starts or swaps the slot itself when
// it is its turn and the slot is free. Waiting longer than wait is a 503 with
// Retry-After; an entry pinned in the slot refuses the others.
func (s *slot) acquire(ctx context.Context, name string, wait time.Duration, start starter, now func() time.Time) (*lease, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	s.mu.Lock()
	s.seq++
	seq := s.seq
	for {
		cur := s.current
		switch {
		case s.closed:
			delete(s.waiting, seq)
			delete(s.admitted, seq)
			s.mu.Unlock()
			return nil, refuse(503, errShuttingDown, fmt.Sprintf("Model '%s' cannot be served: the gateway is shutting down", name))
		case s.busy:
		case cur != nil && cur.name == name:
			if cur.pinned || s.admitted[seq] || !s.earlierOther(seq, name) {
				s.inflight++
				s.lastUsed = now()
				delete(s.waiting, seq)
				delete(s.admitted, seq)
				s.mu.Unlock()
				return &lease{s: s, run: *cur}, nil
			}
		case cur != nil && cur.pinned:
			delete(s.waiting, seq)
			s.mu.Unlock()
			return nil, refuse(409, errSlotPinned, fmt.Sprintf("Model '%s' shares port %d with '%s', which is pinned", name, s.port, cur.name))
		case cur == nil || s.inflight == 0:
			if s.earlierOther(seq, name) || s.admittedPending(cur) {
				break // an earlier request for another entry swaps first; the admitted batch goes before any swap
			}
			delete(s.waiting, seq)
			s.busy = true
			s.mu.Unlock()
			run, keep, err := start(ctx, s, cur)
			s.mu.Lock()
			s.busy = false
			switch {
			case err != nil && !keep:
				s.current = nil
			case err == nil:
				s.current = run
				s.inflight++
				s.lastUsed = now()
				for q, n := range s.waiting {
					if n == run.name {
						s.admitted[q] = true
					}
				}
			}
			s.notify()
			s.mu.Unlock()
			if err != nil {
				return nil, err
			}
			return &lease{s: s, run: *run}, nil
		}
		s.waiting[seq] = name
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.forget(seq)
			return nil, ctx.Err()
		case <-timer.C:
			s.forget(seq)
			e := refuse(503, errQueueFull, fmt.Sprintf("Model '%s' is waiting for port %d, which is busy; try again later", name, s.port))
			e.retryAfter = wait
			return nil, e
		}
		s.mu.Lock()
	}
}

// admittedPending reports whether a waiter the start of cur admitted has
// yet to take its lease: until it has, cur is not swapped out (else the
// batch a swap admitted could lose the slot, and swap back in later); the
// caller holds mu.
func (s *slot) admittedPending(cur *running) bool {
	if cur == nil {
		return false
	}
	for q := range s.admitted {
		if s.waiting[q] == cur.name {
			return true
		}
	}
	return false
}

// forget drops a waiter that gave up, and wakes the others: it may have
// been the earliest.
func (s *slot) forget(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.waiting, seq)
	delete(s.admitted, seq)
	s.notify()
}

// idleStop stops the slot's server when the gateway started it, it is not
// pinned, nothing uses or waits for it, and it has been idle for its TTL
// (0: never). It reports whether it stopped one.
func (s *slot) idleStop(ctx context.Context, now time.Time, stop func(context.Context, *slot, *running) error) (bool, error) {
	s.mu.Lock()
	cur := s.current
	if cur == nil || !cur.started || cur.pinned || cur.ttl <= 0 || s.busy || s.inflight > 0 || len(s.waiting) > 0 ||
		now.Sub(s.lastUsed) < cur.ttl {
		s.mu.Unlock()
		return false, nil
	}
	err := s.stopCurrent(ctx, cur, stop)
	return err == nil, err
}

// close refuses every request from now on (those waiting too), waits for
// a start, swap or stop under way to end (or ctx), then stops the slot's
// server when the gateway started it.
func (s *slot) close(ctx context.Context, stop func(context.Context, *slot, *running) error) error {
	s.mu.Lock()
	s.closed = true
	s.notify()
	for s.busy {
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("closing %s: a start under way did not end: %w", s.key, ctx.Err())
		}
		s.mu.Lock()
	}
	cur := s.current
	if cur == nil || !cur.started {
		s.mu.Unlock()
		return nil
	}
	return s.stopCurrent(ctx, cur, stop)
}

// stopCurrent stops cur, the slot's server, with the slot busy meanwhile;
// the slot serves nothing afterwards unless the stop failed. The caller
// holds mu, which stopCurrent releases.
func (s *slot) stopCurrent(ctx context.Context, cur *running, stop func(context.Context, *slot, *running) error) error {
	s.busy = true
	s.mu.Unlock()
	err := stop(ctx, s, cur)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = false
	if err == nil {
		s.current = nil
	}
	s.notify()
	return err
}
