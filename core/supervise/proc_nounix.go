//go:build !unix

package supervise

import (
	"context"
	"os/exec"
	"time"
)

func (s *Supervisor) alive(State) bool { return false }

func (s *Supervisor) stop(State) {}

func (s *Supervisor) poll(time.Duration, func() bool) bool { return false }

func newSession(*exec.Cmd) {}

func supported(context.Context) error { return ErrUnsupported }
