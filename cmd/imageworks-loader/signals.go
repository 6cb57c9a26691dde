package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// signalError is the cause of the command's context when a signal ended it.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return fmt.Sprintf("stopped by %v", e.sig) }

// withEndingSignals returns ctx cancelled, with a signalError as cause, by
// the first of endingSignals() the process gets; stop undoes it. Catching
// them all is what makes every way the process is ended (Ctrl-C, kill,
// a closed terminal, `| head` closing the pipe) run the same cleanup: the
// context's end closes the loader, which kills the plugins and removes
// their private socket folder, and Main's deferred close runs as usual.
// SIGPIPE is caught but does not end the work (it also comes from a
// plugin's socket closing): the write to the closed pipe fails with EPIPE,
// and Main ends quietly after the cleanup.
func withEndingSignals(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, endingSignals()...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-ch:
				if endsWork(s) {
					cancel(signalError{s})
					return
				}
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// brokenPipe reports whether err is a write to a pipe whose reader went
// away (`| head` having read enough).
func brokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// endedBy returns the signal that ended ctx, or nil.
func endedBy(ctx context.Context) os.Signal {
	var se signalError
	if errors.As(context.Cause(ctx), &se) {
		return se.sig
	}
	return nil
}
