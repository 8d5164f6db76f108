//go:build unix

package sandbox

import (
	"errors"
	"os"
	"syscall"
)

// ProcessAlive reports whether a process with this pid exists on this
// machine (signal 0 checks without delivering; EPERM: another user's).
func ProcessAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
