//go:build windows

package process

import (
	"errors"
	"fmt"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// exeSuffix is what a compiled server's file name ends with on this system.
const exeSuffix = ".exe"

// processTree is the server's job object. Every process the server starts
// joins the job too, and TerminateJobObject ends them all at once. The job
// has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so the tree also dies when coach's
// handle closes, even if coach itself is killed. The server starts suspended
// and is resumed only once it is in the job, so nothing it starts escapes in
// between. Windows has no signals: a graceful stop is not possible, see
// windowsSignal.
type processTree struct {
	cmd      *exec.Cmd
	job      windows.Handle
	assigned atomic.Bool
	once     sync.Once
}

// newProcessTree creates the job and prepares cmd, before it starts, to
// start suspended in a console process group of its own (so the learner's
// Ctrl-C reaches coach, which stops the server, not the server directly).
func newProcessTree(cmd *exec.Cmd) (*processTree, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("create a job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return nil, fmt.Errorf("set up the job object: %w", err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP,
	}
	return &processTree{cmd: cmd, job: job}, nil
}

// started puts the suspended server into the job, then lets it run.
func (t *processTree) started() error {
	pid := uint32(t.cmd.Process.Pid)
	// The pid cannot be reused yet: cmd.Process holds a handle to it.
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, pid)
	if err != nil {
		return fmt.Errorf("open the server process: %w", err)
	}
	err = windows.AssignProcessToJobObject(t.job, h)
	_ = windows.CloseHandle(h)
	if err != nil {
		return fmt.Errorf("put the server into a job object (needed to stop everything it starts): %w", err)
	}
	t.assigned.Store(true)
	return resumeProcess(pid)
}

// resumeProcess resumes the threads of a process started suspended (one,
// the main thread).
func resumeProcess(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("list the server's threads: %w", err)
	}
	defer windows.CloseHandle(snap)
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("open the server's thread: %w", err)
		}
		_, err = windows.ResumeThread(th)
		_ = windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("resume the server: %w", err)
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("list the server's threads: %w", err)
	}
	if resumed == 0 {
		return errors.New("resume the server: it has no thread")
	}
	return nil
}

// interrupt cannot ask anything to stop: there are no signals.
func (t *processTree) interrupt() error {
	_, err := windowsSignal(syscall.SIGTERM)
	return err
}

// kill ends every process in the job.
func (t *processTree) kill() error {
	code, _ := windowsSignal(syscall.SIGKILL)
	return t.terminate(code)
}

func (t *processTree) terminate(code uint32) error {
	if !t.assigned.Load() {
		// Not in the job yet (a build cancelled as it started): only
		// the server itself exists, still suspended.
		return t.cmd.Process.Kill()
	}
	if err := windows.TerminateJobObject(t.job, code); err != nil {
		return fmt.Errorf("terminate the server's job object: %w", err)
	}
	return nil
}

// signal kills the tree for SIGKILL and refuses anything else.
func (t *processTree) signal(sig syscall.Signal) error {
	code, err := windowsSignal(sig)
	if err != nil {
		return err
	}
	return t.terminate(code)
}

// release closes the job; whatever is still in it dies with the handle.
func (t *processTree) release() {
	t.once.Do(func() { _ = windows.CloseHandle(t.job) })
}

// connRefused reports whether a dial failed because nothing listens.
func connRefused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED) || errors.Is(err, syscall.ECONNREFUSED)
}
