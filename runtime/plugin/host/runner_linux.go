package host

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the plugin die with the worker, so that a killed
// worker leaves no orphan plugin processes behind.
func setDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
