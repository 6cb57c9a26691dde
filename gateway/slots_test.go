package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeStarts is a starter with no process: it records which entries it
// started, in order, and can hold a start until released.
type fakeStarts struct {
	mu    sync.Mutex
	names []string
	hold  chan struct{} // when set, every start waits for it to close
	ttl   time.Duration
}

func (f *fakeStarts) starter(name string) starter {
	return func(_ context.Context, _ *slot, _ *running) (*running, bool, error) {
		f.mu.Lock()
		f.names = append(f.names, name)
		hold := f.hold
		f.mu.Unlock()
		if hold != nil {
			<-hold
		}
		return &running{name: name, endpoint: "http://stand.in/v1", served: name + "-served", started: true, ttl: f.ttl}, false, nil
	}
}

func (f *fakeStarts) started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.names)
}

// waiters waits until n requests wait in s.
func waiters(t *testing.T, s *slot, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		got := len(s.waiting)
		s.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// result is one acquire's outcome.
type result struct {
	name string
	ls   *lease
	err  error
}

func acquireAsync(s *slot, f *fakeStarts, name string, wait time.Duration, out chan<- result) {
	go func() {
		ls, err := s.acquire(context.Background(), name, wait, f.starter(name), time.Now)
		out <- result{name, ls, err}
	}()
}

// TestSlotFirstComeAcrossModels: a request for the running entry that
// arrives after one waiting for another entry waits for the swap (and
// the swap back), instead of keeping the slot busy for ever.
func TestSlotFirstComeAcrossModels(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	first, err := s.acquire(context.Background(), "a", time.Second, f.starter("a"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan result, 2)
	acquireAsync(s, f, "b", 5*time.Second, out)
	waiters(t, s, 1)
	acquireAsync(s, f, "a", 5*time.Second, out)
	waiters(t, s, 2)
	first.release(time.Now())
	r := <-out
	if r.err != nil || r.name != "b" || r.ls.run.name != "b" {
		t.Fatalf("first served: %+v, want b", r)
	}
	r.ls.release(time.Now())
	r = <-out
	if r.err != nil || r.ls.run.name != "a" {
		t.Fatalf("then: %+v, want a", r)
	}
	r.ls.release(time.Now())
	if got := f.started(); !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Errorf("starts %v, want [a b a]", got)
	}
}

// TestSlotBatchAdmission: a swap admits every request then waiting for
// the entry it brings in, even those that came after a request for
// another entry: one swap per batch.
func TestSlotBatchAdmission(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	first, err := s.acquire(context.Background(), "a", time.Second, f.starter("a"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan result, 4)
	acquireAsync(s, f, "b", 5*time.Second, out)
	waiters(t, s, 1)
	acquireAsync(s, f, "a", 5*time.Second, out)
	waiters(t, s, 2)
	acquireAsync(s, f, "b", 5*time.Second, out)
	acquireAsync(s, f, "b", 5*time.Second, out)
	waiters(t, s, 4)
	first.release(time.Now())
	var bs []*lease
	for range 3 {
		r := <-out
		if r.err != nil || r.ls.run.name != "b" {
			t.Fatalf("got %+v while b's batch runs", r)
		}
		bs = append(bs, r.ls)
	}
	for _, ls := range bs {
		ls.release(time.Now())
	}
	if r := <-out; r.err != nil || r.ls.run.name != "a" {
		t.Fatalf("last: %+v, want a", r)
	}
	if got := f.started(); !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Errorf("starts %v, want [a b a]: one swap per batch", got)
	}
}

// TestSlotAdmittedBatchNotSwappedOut: while a waiter the last swap
// admitted has yet to take its lease, a request for another entry that
// came before it does not swap the slot (it would swap back for the
// batch).
func TestSlotAdmittedBatchNotSwappedOut(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	// b was just swapped in and its starting request is done; arrival 4,
	// for b, was admitted by that swap but has not woken yet.
	s.current = &running{name: "b", started: true}
	s.seq = 2
	s.waiting[4] = "b"
	s.admitted[4] = true
	// Arrival 3, for a, comes back to the lock first.
	_, err := s.acquire(context.Background(), "a", 50*time.Millisecond, f.starter("a"), time.Now)
	var e *apiError
	if !errors.As(err, &e) || e.Code != 503 {
		t.Fatalf("a: %v, want it to wait for b's admitted batch (and time out here)", err)
	}
	if got := f.started(); len(got) != 0 {
		t.Errorf("a swapped b out before b's admitted waiter took its lease: starts %v", got)
	}
}

// TestSlotFreshArrivalWaitsItsTurn: a request that has never waited does
// not take a free slot from an earlier request for another entry.
func TestSlotFreshArrivalWaitsItsTurn(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	s.current = &running{name: "a", started: true}
	s.seq = 1
	s.waiting[1] = "b" // woken by a's last release, not yet running
	_, err := s.acquire(context.Background(), "c", 50*time.Millisecond, f.starter("c"), time.Now)
	var e *apiError
	if !errors.As(err, &e) || e.Code != 503 {
		t.Fatalf("c: %v, want it to wait (and time out here)", err)
	}
	if got := f.started(); len(got) != 0 {
		t.Errorf("c jumped the queue: starts %v", got)
	}
}

// TestSlotPinnedRefuses: another entry of a pinned slot is refused with
// 409 at once, starting nothing; the pinned entry itself is served.
func TestSlotPinnedRefuses(t *testing.T) {
	s, f := newSlot("port:7", 7), &fakeStarts{}
	s.current = &running{name: "p", started: true, pinned: true}
	_, err := s.acquire(context.Background(), "x", time.Second, f.starter("x"), time.Now)
	var e *apiError
	if !errors.As(err, &e) || e.Code != 409 || e.Type != errSlotPinned {
		t.Fatalf("x: %v, want 409 %s", err, errSlotPinned)
	}
	ls, err := s.acquire(context.Background(), "p", time.Second, f.starter("p"), time.Now)
	if err != nil || ls.run.name != "p" {
		t.Fatalf("p: %v %v", ls, err)
	}
	if got := f.started(); len(got) != 0 {
		t.Errorf("starts %v, want none", got)
	}
	if len(s.waiting) != 0 {
		t.Errorf("waiting %v after a refusal", s.waiting)
	}
}

// TestSlotQueueTimeout: a request that waits past its bound gets a 503
// with Retry-After, and leaves the queue.
func TestSlotQueueTimeout(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	first, err := s.acquire(context.Background(), "a", time.Second, f.starter("a"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer first.release(time.Now())
	_, err = s.acquire(context.Background(), "b", 30*time.Millisecond, f.starter("b"), time.Now)
	var e *apiError
	if !errors.As(err, &e) || e.Code != 503 || e.Type != errQueueFull {
		t.Fatalf("b: %v, want 503 %s", err, errQueueFull)
	}
	rec := httptest.NewRecorder()
	writeError(rec, e)
	if rec.Code != 503 || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("answer %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if len(s.waiting) != 0 || len(s.admitted) != 0 {
		t.Errorf("waiting %v admitted %v after the timeout", s.waiting, s.admitted)
	}
}

// TestSlotCancelledWaiter: a waiter whose client went away leaves the
// queue, so a later request for the running entry is not held behind it.
func TestSlotCancelledWaiter(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{}
	first, err := s.acquire(context.Background(), "a", time.Second, f.starter("a"), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.acquire(ctx, "b", 5*time.Second, f.starter("b"), time.Now)
		done <- err
	}()
	waiters(t, s, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("b: %v, want context.Canceled", err)
	}
	ls, err := s.acquire(context.Background(), "a", 50*time.Millisecond, f.starter("a"), time.Now)
	if err != nil {
		t.Fatalf("a after b gave up: %v", err)
	}
	ls.release(time.Now())
	first.release(time.Now())
	if got := f.started(); !slices.Equal(got, []string{"a"}) {
		t.Errorf("starts %v, want [a]", got)
	}
}

// TestSlotIdleStop: an idle server is stopped only when the gateway
// started it, it is not pinned, its TTL is set and past, and nothing
// uses or waits for it.
func TestSlotIdleStop(t *testing.T) {
	now := time.Now()
	old := now.Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		set   func(s *slot)
		stops bool
	}{
		{"idle past its ttl", func(s *slot) {}, true},
		{"used within its ttl", func(s *slot) { s.lastUsed = now.Add(-time.Second) }, false},
		{"in flight", func(s *slot) { s.inflight = 1 }, false},
		{"waited for", func(s *slot) { s.waiting[1] = "other" }, false},
		{"pinned", func(s *slot) { s.current.pinned = true }, false},
		{"not started by the gateway", func(s *slot) { s.current.started = false }, false},
		{"ttl 0: never", func(s *slot) { s.current.ttl = 0 }, false},
		{"a start under way", func(s *slot) { s.busy = true }, false},
		{"nothing runs", func(s *slot) { s.current = nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSlot("port:1", 1)
			s.current = &running{name: "a", started: true, ttl: time.Minute}
			s.lastUsed = old
			tc.set(s)
			var stopped []string
			ok, err := s.idleStop(context.Background(), now, func(_ context.Context, _ *slot, r *running) error {
				stopped = append(stopped, r.name)
				return nil
			})
			if err != nil || ok != tc.stops || (len(stopped) == 1) != tc.stops {
				t.Fatalf("idleStop = %v, %v, stopped %v; want %v", ok, err, stopped, tc.stops)
			}
			if tc.stops && s.current != nil {
				t.Errorf("current %+v after the stop", s.current)
			}
		})
	}
}

// TestSlotCloseWaitsForStart: Close during a start waits for it and stops
// the server it brought up; requests waiting, and any after, get 503.
func TestSlotCloseWaitsForStart(t *testing.T) {
	s, f := newSlot("port:1", 1), &fakeStarts{hold: make(chan struct{})}
	out := make(chan result, 2)
	acquireAsync(s, f, "a", 5*time.Second, out)
	for len(f.started()) == 0 {
		time.Sleep(time.Millisecond)
	}
	acquireAsync(s, f, "a", 5*time.Second, out)
	waiters(t, s, 1)
	var stopped []string
	closed := make(chan error, 1)
	go func() {
		closed <- s.close(context.Background(), func(_ context.Context, _ *slot, r *running) error {
			stopped = append(stopped, r.name)
			return nil
		})
	}()
	// The waiter is refused as soon as the close begins.
	r := <-out
	var e *apiError
	if !errors.As(r.err, &e) || e.Code != 503 || e.Type != errShuttingDown {
		t.Fatalf("waiter: %+v, want 503 %s", r, errShuttingDown)
	}
	select {
	case err := <-closed:
		t.Fatalf("close returned (%v) during the start", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(f.hold)
	if r := <-out; r.err == nil {
		r.ls.release(time.Now())
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stopped, []string{"a"}) || s.current != nil {
		t.Errorf("stopped %v, current %+v; want a stopped", stopped, s.current)
	}
	if _, err := s.acquire(context.Background(), "a", time.Second, f.starter("a"), time.Now); !errors.As(err, &e) || e.Code != 503 {
		t.Errorf("after close: %v, want 503", err)
	}
	if got := f.started(); len(got) != 1 {
		t.Errorf("starts %v, want the one", got)
	}
}
