package plugintest

import (
	"context"
	"sync"
	"time"
)

// logDelay is how long a binary's log record may take, once written, to
// reach the kit through the plugin host.
const logDelay = 100 * time.Millisecond

// inflight tracks the kit's calls, so that the Panics check can let the
// calls the kit gave up on finish in the plugin first: a call whose context
// is cancelled returns to the kit at once, while the plugin may still be
// running it, and panic. Its zero value is ready to use.
type inflight struct {
	mu        sync.Mutex
	host      int       // calls the kit is waiting on
	abandoned time.Time // when a call last returned with its context done
	// counted says plugin counts the calls the plugin is serving (it
	// does in process; a binary's calls cannot be seen).
	counted bool
	plugin  int
	changed chan struct{} // closed and replaced on every change
}

func (c *inflight) notifyLocked() {
	if c.changed != nil {
		close(c.changed)
	}
	c.changed = make(chan struct{})
}

// begin counts a call of the kit's; the function returned, given the
// call's context, counts its return.
func (c *inflight) begin() func(ctx context.Context) {
	c.mu.Lock()
	c.host++
	c.mu.Unlock()
	return func(ctx context.Context) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.host--
		if ctx.Err() != nil {
			c.abandoned = time.Now()
		}
		c.notifyLocked()
	}
}

// watchPlugin makes c count the calls the plugin serves, through the
// function returned, which is called as each starts and returns the one to
// call as it ends.
func (c *inflight) watchPlugin() func() (end func()) {
	c.mu.Lock()
	c.counted = true
	c.mu.Unlock()
	return func() func() {
		c.mu.Lock()
		c.plugin++
		c.notifyLocked()
		c.mu.Unlock()
		return func() {
			c.mu.Lock()
			c.plugin--
			c.notifyLocked()
			c.mu.Unlock()
		}
	}
}

// settle waits, for at most d and a log record's delay, until every call
// the kit gave up on can have finished in the plugin: until the kit waits
// on no call and, in process, the plugin serves none; for a binary, whose
// calls cannot be seen, until d (the promptness a cancelled call owes) and
// logDelay have passed since a call last returned with its context done.
func (c *inflight) settle(d time.Duration) {
	limit := time.Now().Add(d + logDelay)
	for {
		until, changed := c.pending(d, limit)
		wait := time.Until(until)
		if until.IsZero() || wait <= 0 {
			return
		}
		timer := time.NewTimer(wait)
		select {
		case <-changed:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// pending returns until when settle must still wait (zero for not at all,
// limit while calls are running), and the channel closed on the next
// change.
func (c *inflight) pending(d time.Duration, limit time.Time) (time.Time, <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.changed == nil {
		c.changed = make(chan struct{})
	}
	switch {
	case c.host > 0 || c.counted && c.plugin > 0:
		return limit, c.changed
	case c.counted || c.abandoned.IsZero():
		return time.Time{}, c.changed
	}
	if until := c.abandoned.Add(d + logDelay); until.Before(limit) {
		return until, c.changed
	}
	return limit, c.changed
}
