//go:build unix

package process

import (
	"errors"
	"os/exec"
	"syscall"
)

// exeSuffix is what a compiled server's file name ends with on this system.
const exeSuffix = ""

// processTree is the server's process group: Setpgid makes the server its
// leader, so one kill(-pgid) reaches everything it started that stayed in
// the group (a daemon that calls setsid leaves it).
type processTree struct{ cmd *exec.Cmd }

// newProcessTree prepares cmd, before it starts, to lead a new group.
func newProcessTree(cmd *exec.Cmd) (*processTree, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return &processTree{cmd: cmd}, nil
}

// started is called once cmd runs; a group needs nothing more.
func (t *processTree) started() error { return nil }

// interrupt asks the whole group to stop (SIGTERM).
func (t *processTree) interrupt() error { return syscall.Kill(-t.cmd.Process.Pid, syscall.SIGTERM) }

// kill ends the whole group (SIGKILL); ESRCH when it is empty.
func (t *processTree) kill() error { return syscall.Kill(-t.cmd.Process.Pid, syscall.SIGKILL) }

// signal delivers sig to the leader only, as a signal step means. os.Process
// signals through a pidfd, so a reaped pid reused by another program is
// never hit.
func (t *processTree) signal(sig syscall.Signal) error { return t.cmd.Process.Signal(sig) }

// release frees what the tree holds: nothing for a group.
func (t *processTree) release() {}

// connRefused reports whether a dial failed because nothing listens.
func connRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
