//go:build unix

package cli

import (
	"os"
	"syscall"
)

// pipeSafe is f (standard output or error) on a descriptor of its own, so
// that writing to it after its reader has gone (`coach check | head`,
// quitting less) fails with EPIPE instead of the Go runtime ending coach
// with SIGPIPE on the spot, which would leave the sandbox behind: coach
// finishes the command, removes what it started and exits as usual.
func pipeSafe(f *os.File) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name())
}
