//go:build !unix

package supervise

import (
	"context"
	"os/exec"
)

func (s *Supervisor) alive(State) bool { return false }

func (s *Supervisor) stop(State) {}

func newSession(*exec.Cmd) {}

func supported(context.Context) error { return ErrUnsupported }
