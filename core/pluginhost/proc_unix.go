//go:build unix

package pluginhost

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup makes the plugin the leader of a new process group, so
// that a terminal's Ctrl-C reaches only the host (which then shuts plugins
// down) and killGroup reaches the plugin's children too.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// killGroup sends SIGKILL to the process group led by p.
func killGroup(p *os.Process) {
	if p == nil || p.Pid <= 0 {
		return
	}
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
}

// killedBySIGKILL reports whether the process ended on SIGKILL, which is how
// the host and go-plugin kill plugins (a crash exits or dies on another
// signal).
func killedBySIGKILL(s *os.ProcessState) bool {
	ws, ok := s.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
