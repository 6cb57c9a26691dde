package main

import (
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress is a byte-count progress bar on stderr, shown only when stderr
// is a terminal; otherwise its methods do nothing.
type progress struct {
	mu  sync.Mutex
	bar *progressbar.ProgressBar
	set bool
}

// progressBar returns a bar titled desc.
func (a *App) progressBar(desc string) *progress {
	p := &progress{}
	if !isTerminal(a.Env.Stderr) {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.Env.Stderr),
		progressbar.OptionSetDescription(termText(desc)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100_000_000),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
		// No spinner ticker: progressbar's ticker goroutine reads the bar's
		// state without its lock (a data race under -race); the bar is
		// redrawn on every update instead.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	return p
}

// update is the hashing progress callback; safe from any goroutine.
func (p *progress) update(done, total int64) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.set && total > 0 {
		p.bar.ChangeMax64(total)
		p.set = true
	}
	_ = p.bar.Set64(done)
}

// finish clears the bar.
func (p *progress) finish() {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}

// termCheck reports whether f is a terminal.
func termCheck(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
