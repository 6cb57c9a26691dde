//go:build !unix

package pluginhost

import (
	"os"
	"os/exec"
)

// setProcessGroup does nothing where process groups do not exist.
func setProcessGroup(*exec.Cmd) {}

// killGroup kills the plugin process itself; its children are not reached
// on this platform.
func killGroup(p *os.Process) {
	if p != nil {
		_ = p.Kill()
	}
}

// killedBySIGKILL cannot tell a kill from an exit here; it reports false.
func killedBySIGKILL(*os.ProcessState) bool { return false }
